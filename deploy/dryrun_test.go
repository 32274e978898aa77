package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// crdsEnv names the directory of CustomResourceDefinitions (cert-manager's,
// the Prometheus Operator's) that hack/lint-chart.sh fetches for the
// renderings' optional objects.
const crdsEnv = "PULLTHROUGH_CRDS_DIR"

// TestRenderedDryRun sends every document of every rendered variant (the
// committed manifests, and with $PULLTHROUGH_RENDERED_DIR every chart variant
// hack/lint-chart.sh renders) to a real API server as a server-side apply
// with dryRun=All: the API server's own validation and defaulting, e.g. a
// Deployment on the host network, tolerations and affinity passed through
// from values, matchConditions compiled as CEL, and the custom resources
// checked against the CRDs' schemas.
func TestRenderedDryRun(t *testing.T) {
	files := renderedFiles(t)
	crds := os.Getenv(crdsEnv)
	if os.Getenv("PULLTHROUGH_RENDERED_DIR") != "" && crds == "" {
		t.Fatalf("PULLTHROUGH_RENDERED_DIR is set without %s: the renderings hold custom resources", crdsEnv)
	}
	c := cluster.StartForTest(t, cluster.Options{})
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if crds != "" {
		installCRDs(t, k8s, crds)
	}
	applied := dryRunApply(t, k8s, files)
	var committed []*unstructured.Unstructured
	for _, file := range committedFiles {
		committed = append(committed, applied[file]...)
	}
	t.Run("pods admitted by Pod Security", func(t *testing.T) { podSecurity(t, k8s, committed) })
}

// dryRunApply sends every document of files to the API server as a
// server-side apply with dryRun=All, in namespaces it creates first; helm
// hook annotations are dropped (the API server has no use for them). Each
// refusal is an error of t naming the object. It returns the objects by file.
func dryRunApply(t *testing.T, k8s client.Client, files []string) map[string][]*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	byFile := map[string][]*unstructured.Unstructured{}
	for _, file := range files {
		docs, err := documents(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				t.Fatalf("%s: document %d: %v", file, i, err)
			}
			u.SetAnnotations(mapWithout(u.GetAnnotations(), "helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy"))
			objs = append(objs, u)
			byFile[file] = append(byFile[file], u)
		}
	}
	createNamespaces(t, k8s, objs)
	for _, u := range objs {
		err := k8s.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.DryRunAll, client.ForceOwnership, client.FieldOwner("pullthrough-test"))
		if err != nil {
			t.Errorf("%s %s/%s: the API server refuses it: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}
	return byFile
}

// mapWithout returns m without keys (nil when nothing is left).
func mapWithout(m map[string]string, keys ...string) map[string]string {
	for _, k := range keys {
		delete(m, k)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// createNamespaces creates every namespace the objects live in (a dry run
// in a namespace that does not exist is refused): those the renderings hold
// as they are, with their labels (the release namespace's Pod Security
// level among them), the others bare.
func createNamespaces(t *testing.T, k8s client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() != "Namespace" {
			continue
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetName(), Labels: u.GetLabels()}}
		if err := k8s.Create(t.Context(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", u.GetName(), err)
		}
	}
	var names []string
	for _, u := range objs {
		if ns := u.GetNamespace(); ns != "" && !slices.Contains(names, ns) {
			names = append(names, ns)
		}
	}
	for _, name := range names {
		err := k8s.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", name, err)
		}
	}
}

// installCRDs creates the CRDs in dir's *.yaml files and waits until the
// API server serves each.
func installCRDs(t *testing.T, k8s client.Client, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s=%s: no *.yaml (%v)", crdsEnv, dir, err)
	}
	var names []string
	for _, file := range files {
		docs, err := documents(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docs {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if err := k8s.Create(t.Context(), u); err != nil {
				t.Fatalf("%s: CRD %s: %v", file, u.GetName(), err)
			}
			names = append(names, u.GetName())
		}
	}
	for _, name := range names {
		if err := waitEstablished(t.Context(), k8s, name); err != nil {
			t.Fatalf("CRD %s: %v", name, err)
		}
	}
}

// waitEstablished polls a CRD until its Established condition is True.
func waitEstablished(ctx context.Context, k8s client.Client, name string) error {
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
			return false, fmt.Errorf("get: %w", err)
		}
		conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conditions {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}
