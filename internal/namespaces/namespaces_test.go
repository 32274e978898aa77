package namespaces

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metadatafake "k8s.io/client-go/metadata/fake"
)

func fakeClient(t *testing.T, objs ...runtime.Object) *metadatafake.FakeMetadataClient {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return metadatafake.NewSimpleMetadataClient(scheme, objs...)
}

func namespace(name string, labels map[string]string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// TestWatchLabels: a namespace the informer has not seen (here: never
// started) is read with a GET; one that does not exist is an error naming
// it. Every answer carries kubernetes.io/metadata.name.
func TestWatchLabels(t *testing.T) {
	t.Parallel()
	w, err := NewWatch(fakeClient(t, namespace("payments", map[string]string{"tenant": "b"})))
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.Labels(t.Context(), "payments")
	if err != nil || got["tenant"] != "b" || got["kubernetes.io/metadata.name"] != "payments" {
		t.Errorf("Labels(payments) = %v, %v", got, err)
	}
	if _, err := w.Labels(t.Context(), "gone"); err == nil || !strings.Contains(err.Error(), "namespace gone") {
		t.Errorf("Labels(gone) error = %v, want one naming the namespace", err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	got, err := List(t.Context(), fakeClient(t, namespace("a", map[string]string{"x": "1"}), namespace("b", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"]["x"] != "1" || got["b"]["kubernetes.io/metadata.name"] != "b" {
		t.Errorf("List = %v", got)
	}
}

// TestKeepLabels: the informer's cache keeps a namespace's name and labels
// only.
func TestKeepLabels(t *testing.T) {
	t.Parallel()
	in := namespace("a", map[string]string{"x": "1"})
	in.Annotations = map[string]string{"big": strings.Repeat("y", 1000)}
	in.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	out, err := keepLabels(in)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*metav1.PartialObjectMetadata)
	if m.Name != "a" || m.Labels["x"] != "1" || m.Annotations != nil || m.ManagedFields != nil {
		t.Errorf("kept %+v", m)
	}
}
