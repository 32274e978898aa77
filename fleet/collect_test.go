package fleet

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"

	"github.com/pullthrough/pullthrough/rewrite"
)

// TestCollectScoped: with scoped mirrors, Collect reads the namespaces'
// labels once and judges each pod in its namespace: by label, by name,
// and neither.
func TestCollectScoped(t *testing.T) {
	t.Parallel()
	rw, err := rewrite.New(rewrite.Rules{Mirrors: []rewrite.Mirror{
		{Source: "docker.io", Target: "proxy.internal/hub"},
		{Source: "ghcr.io", Target: "proxy.internal/ghcr-b", NamespaceSelector: &rewrite.Selector{MatchLabels: map[string]string{"tenant": "b"}}},
		{Source: "ghcr.io", Target: "proxy.internal/ghcr-a", Namespaces: []string{"team-a"}},
	}, PublicRegistries: []string{"ghcr.io"}})
	if err != nil {
		t.Fatal(err)
	}
	pod := func(ns string) runtime.Object {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/acme/app:1"}}}}
	}
	namespace := func(name string, labels map[string]string) runtime.Object {
		return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := Cluster{
		Name: "c",
		Pods: fake.NewClientset(pod("payments"), pod("team-a"), pod("shop")),
		Metadata: metadatafake.NewSimpleMetadataClient(scheme,
			namespace("payments", map[string]string{"tenant": "b"}), namespace("team-a", nil), namespace("shop", map[string]string{"tenant": "c"})),
	}
	j := Judge{Rewriter: rw, NamespaceExcluded: func(string) bool { return false }, Scoped: true}
	rows, err := Collect(t.Context(), c, nil, j)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Namespace] = string(r.Outcome)
	}
	want := map[string]string{"payments": "rewritten", "team-a": "rewritten", "shop": "unrouted-public"}
	for ns, o := range want {
		if got[ns] != o {
			t.Errorf("%s: outcome %q, want %q (rows %v)", ns, got[ns], o, rows)
		}
	}
	// Unscoped, the same pods are judged without reading a namespace.
	j.Scoped = false
	if rows, err = Collect(t.Context(), c, nil, j); err != nil || strings.Contains(rowsText(rows), "rewritten") {
		t.Errorf("unscoped: rows %v, error %v; want none rewritten", rows, err)
	}
}

func rowsText(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Namespace + " " + string(r.Outcome) + "\n")
	}
	return b.String()
}
