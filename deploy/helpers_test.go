// Package deploy checks the install manifests that hack/render-manifests.sh
// renders from the Helm chart (deploy/manifests), decoded into the Kubernetes
// API types: the properties that keep the webhook's blast radius small, the
// names the chart's parts must agree on, and, on a real API server, that the
// self-signed certificate mode works with exactly the RBAC the chart grants.
// It has no code of its own; hack/lint-chart.sh also runs
// TestRenderedDecodesStrictly on every chart variant it renders. The release
// tests (release*_test.go) publish the image and the chart as a release does,
// to a real registry, and check what arrived.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// The rendered files and what hack/render-manifests.sh renders them for.
const (
	manifestsFile    = "manifests/pullthrough.yaml"
	migratorFile     = "manifests/pullthrough-migrator.yaml"
	nodeconfigFile   = "manifests/pullthrough-nodeconfig.yaml"
	rbacFile         = "rbac/migrator-clusterrole.yaml" // kept by hand; must grant what the chart grants
	releaseNamespace = "pullthrough-system"
)

// load decodes every document of a rendered file into its API type.
func load(t *testing.T, path string) []runtime.Object {
	t.Helper()
	docs, err := documents(path)
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]runtime.Object, 0, len(docs))
	for i, doc := range docs {
		obj, err := decodeOne(doc)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// decodeOne decodes a document into its typed object, or into an
// Unstructured for a kind the client-go scheme does not know (cert-manager's
// and the Prometheus Operator's custom resources in the optional renderings).
func decodeOne(doc []byte) (runtime.Object, error) {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
	if !runtime.IsNotRegisteredError(err) {
		return obj, err
	}
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, u.UnmarshalJSON(js)
}

// documents splits a multi-document YAML file, dropping documents that hold
// only comments.
func documents(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if js, err := yaml.YAMLToJSON(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		} else if !bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			docs = append(docs, doc)
		}
	}
}

// all returns the objects of type T.
func all[T runtime.Object](objs []runtime.Object) []T {
	var found []T
	for _, o := range objs {
		if typed, ok := o.(T); ok {
			found = append(found, typed)
		}
	}
	return found
}

// only returns the one object of type T, failing t unless there is exactly one.
func only[T runtime.Object](t *testing.T, objs []runtime.Object) T {
	t.Helper()
	found := all[T](objs)
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, found %d", zero, len(found))
	}
	return found[0]
}

// flag returns the value of --name=value in args, or "".
func flag(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}
