package migrate

import (
	"context"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// seedOwners gives objects of testdata/seed.yaml their controller (child ->
// owner, as Kind/namespace/name); UIDs exist only once the owner is created.
var seedOwners = map[string]string{
	"ReplicaSet/shop/web-6d4cf56db6": "Deployment/shop/web",
	"Pod/shop/web-6d4cf56db6-x7k2p":  "ReplicaSet/shop/web-6d4cf56db6",
	"Deployment/shop/typha":          "Installation//default",
}

// e2eEnv is a running API server and the clients the tests use on it.
type e2eEnv struct {
	cluster *cluster.Cluster
	admin   *rest.Config
	client  client.Client
	dynamic dynamic.Interface
}

// startE2E starts an API server (no controller manager: nothing reconciles
// the workloads, so what the migrator wrote stays as it wrote it).
func startE2E(t testing.TB) *e2eEnv {
	t.Helper()
	c := cluster.StartForTest(t, cluster.Options{})
	env := &e2eEnv{cluster: c, admin: c.Config()}
	// The tests' own requests (seeding thousands of objects for the
	// benchmark) must not queue behind client-go's default 5 QPS.
	env.admin.QPS, env.admin.Burst = 1000, 2000
	var err error
	if env.client, err = client.New(env.admin, client.Options{}); err != nil {
		t.Fatal(err)
	}
	if env.dynamic, err = dynamic.NewForConfig(env.admin); err != nil {
		t.Fatal(err)
	}
	return env
}

// migrator builds a Migrator on cfg (admin when nil) with the test config.
func (e *e2eEnv) migrator(t testing.TB, cfg *rest.Config, opts Options) *Migrator {
	t.Helper()
	return e.migratorAs(t, cfg, loadTestConfig(t), opts)
}

// migratorWith builds an admin Migrator that routes with routes.
func (e *e2eEnv) migratorWith(t testing.TB, routes *config.Config, opts Options) *Migrator {
	t.Helper()
	return e.migratorAs(t, nil, routes, opts)
}

// migratorAs builds a Migrator on cfg (admin when nil) that routes with routes.
func (e *e2eEnv) migratorAs(t testing.TB, cfg *rest.Config, routes *config.Config, opts Options) *Migrator {
	t.Helper()
	if cfg == nil {
		cfg = e.admin
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = e.admin.QPS, e.admin.Burst
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(dyn, routes, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readManifests decodes a multi-document YAML file.
func readManifests(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	// The newline before a separator ends the document's last line (and
	// its block scalar), so it stays with the document.
	for _, doc := range strings.Split(string(data), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc+"\n"), &u.Object); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

// seed creates objs in order, with the controller references of owners, and
// returns them as created (server defaults included), by objectKey.
func (e *e2eEnv) seed(t testing.TB, objs []*unstructured.Unstructured, owners map[string]string) map[string]*unstructured.Unstructured {
	t.Helper()
	created := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		u = u.DeepCopy()
		if ownerKey, ok := owners[objectKey(u)]; ok {
			o := created[ownerKey]
			if o == nil {
				t.Fatalf("owner %s of %s is not seeded before it", ownerKey, objectKey(u))
			}
			u.SetOwnerReferences([]metav1.OwnerReference{controllerRef(o)})
		}
		// A custom resource is served a moment after its CRD is created.
		err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := e.client.Create(ctx, u); err != nil {
				t.Logf("create %s: %v", objectKey(u), err)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			t.Fatalf("seeding %s: %v", objectKey(u), err)
		}
		created[objectKey(u)] = u
	}
	return created
}

// newNamespace and newDeployment build objects for tests that need many
// alike (the race and permission tests, the benchmark).
func newNamespace(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace"}}
	u.SetName(name)
	return u
}

func newDeployment(kind, namespace, name, image string) *unstructured.Unstructured {
	apiVersion := "apps/v1"
	labels := map[string]any{"app": name}
	spec := map[string]any{
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": image}}},
		},
	}
	if kind == "StatefulSet" {
		spec["serviceName"] = name
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "spec": spec}}
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// setImage changes the first container's image of a seeded workload, as
// another client would.
func (e *e2eEnv) setImage(t testing.TB, seeded *unstructured.Unstructured, image string) {
	t.Helper()
	u := e.fetch(t, seeded)
	if err := setString(u.Object, "/spec/template/spec/containers/0/image", image); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Update(t.Context(), u); err != nil {
		t.Fatalf("update %s: %v", objectKey(u), err)
	}
}

// fetch reads the current state of a seeded object.
func (e *e2eEnv) fetch(t testing.TB, seeded *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(seeded.GroupVersionKind())
	if err := e.client.Get(t.Context(), client.ObjectKeyFromObject(seeded), u); err != nil {
		t.Fatalf("get %s: %v", objectKey(seeded), err)
	}
	return u
}

// controllerRef makes owner the controller of an object.
func controllerRef(owner *unstructured.Unstructured) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{
		APIVersion: owner.GetAPIVersion(), Kind: owner.GetKind(), Name: owner.GetName(), UID: owner.GetUID(), Controller: &yes,
	}
}

// serverAnnotations are written by the API server itself (a DaemonSet's
// template generation counts template changes), not by the migrator.
var serverAnnotations = []string{"deprecated.daemonset.template.generation"}

// ownAnnotations are u's annotations less serverAnnotations; never nil.
func ownAnnotations(u *unstructured.Unstructured) map[string]string {
	own := maps.Clone(u.GetAnnotations())
	if own == nil {
		own = map[string]string{}
	}
	for _, k := range serverAnnotations {
		delete(own, k)
	}
	return own
}

// objectKey is Kind/namespace/name.
func objectKey(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}
