package pullsecret

import (
	"context"
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metadatafake "k8s.io/client-go/metadata/fake"

	"github.com/pullthrough/pullthrough/e2e/kit"
)

// secretMeta is a Secret's metadata as the API server sends it to a
// metadata-only client.
func secretMeta(ns, name string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// TestIndex: until its first list a name is held nowhere and the replica is
// not ready; then Holds answers per namespace and name; a name first asked
// for later (a config reload) is watched from then on without being waited
// for by Ready.
func TestIndex(t *testing.T) {
	t.Parallel()
	scheme := metadatafake.NewTestScheme()
	scheme.AddKnownTypeWithName(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, &metav1.PartialObjectMetadata{})
	scheme.AddKnownTypeWithName(schema.GroupVersionKind{Version: "v1", Kind: "SecretList"}, &metav1.PartialObjectMetadataList{})
	client := metadatafake.NewSimpleMetadataClient(scheme, secretMeta("shop", "proxy-pull"))
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := NewIndex(client, m, logr.Discard(), "proxy-pull")
	if err != nil {
		t.Fatal(err)
	}
	if idx.Ready(nil) == nil || idx.Holds("shop", "proxy-pull") {
		t.Fatal("before its first list the index is ready, or holds a Secret")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = idx.Start(ctx) }()
	kit.Eventually(t, "the index to be ready", func(context.Context) error { return idx.Ready(nil) })
	for _, c := range []struct {
		ns, name string
		want     bool
	}{
		{"shop", "proxy-pull", true},
		{"bare", "proxy-pull", false},
	} {
		if got := idx.Holds(c.ns, c.name); got != c.want {
			t.Errorf("Holds(%s, %s) = %v, want %v", c.ns, c.name, got, c.want)
		}
	}
	if idx.Holds("shop", "team-creds") {
		t.Error("a name not watched yet is held")
	}
	if _, err := client.Resource(secrets).Namespace("shop").(metadatafake.MetadataClient).CreateFake(secretMeta("shop", "team-creds"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kit.Eventually(t, "the name asked for to be watched", func(context.Context) error {
		if !idx.Holds("shop", "team-creds") {
			return errors.New("shop/team-creds not held")
		}
		return nil
	})
	if err := idx.Ready(nil); err != nil {
		t.Errorf("Ready: %v", err)
	}
}
