package migrate

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// migratedValues is what --apply must leave in each object of
// testdata/seed.yaml it patches (Kind/namespace/name -> JSON pointer -> new
// value). Every other seeded object must not be written at all.
var migratedValues = map[string]map[string]string{
	"Installation//default": {
		"/spec/registry":   "proxy.example.internal/quay/",
		"/spec/node/image": "proxy.example.internal/dockerhub/calico/node:v3.28.0",
	},
	"Deployment/shop/web": {
		"/spec/template/spec/containers/0/image":        "proxy.example.internal/dockerhub/library/nginx:1.27",
		"/spec/template/spec/containers/2/image":        "proxy.example.internal/ghcr/acme/web:2",
		"/spec/template/spec/volumes/1/image/reference": "proxy.example.internal/ghcr/acme/models:v3",
	},
	"Deployment/shop/cache":                   {"/spec/template/spec/containers/0/image": "proxy.example.internal/dockerhub/bitnami/redis:7.2"},
	"StatefulSet/shop/db":                     {"/spec/template/spec/containers/0/image": "proxy.example.internal/dockerhub/library/postgres:16"},
	"DaemonSet/shop/node-exporter":            {"/spec/template/spec/containers/0/image": "proxy.example.internal/quay/prometheus/node-exporter:v1.8.0"},
	"ReplicaSet/shop/legacy-worker":           {"/spec/template/spec/containers/0/image": "proxy.example.internal/k8s/pause:3.9"},
	"ReplicationController/shop/old-frontend": {"/spec/template/spec/containers/0/image": "proxy.example.internal/dockerhub/library/nginx:1.25"},
	"CronJob/shop/backup": {
		"/spec/jobTemplate/spec/template/spec/containers/0/image":        "proxy.example.internal/dockerhub/library/alpine:3.20",
		"/spec/jobTemplate/spec/template/spec/volumes/0/image/reference": "proxy.example.internal/quay/acme/backup-tools:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	},
	"Deployment/istio-system/istiod":     {"/spec/template/spec/containers/0/image": "proxy.example.internal/dockerhub/istio/pilot:1.22.0"},
	"Deployment/addons/addon-controller": {"/spec/template/spec/containers/0/image": "proxy.example.internal/ghcr/acme/addon-controller:0.3"},
	"ConfigMap/istio-system/istio-sidecar-injector": {
		"/data/values": `{"global":{"hub":"proxy.example.internal/dockerhub/istio","tag":"1.22.0","proxy":{"image":"proxyv2"}}}`,
	},
	"ConfigMap/addons/addon-images": {
		"/data/images.yaml": "image: proxy.example.internal/quay/calico/node:v3.28.0\nregistry: proxy.example.internal/ghcr/acme\n",
	},
}

// TestE2ELifecycle runs the whole story on a real API server: plan (the
// exact report), apply in batches (every object's new values and record),
// apply again (nothing changes), undo (the originals are back, a value
// changed since is kept).
func TestE2ELifecycle(t *testing.T) {
	env := startE2E(t)
	seeded := env.seed(t, readManifests(t, "testdata/seed.yaml"), seedOwners)
	// The CRD's status is the API server's to write, and no concern of ours.
	delete(seeded, "CustomResourceDefinition//installations.operator.example.io")
	var progress bytes.Buffer
	// Every kind's story, the objects Argo CD, Flux and Helm manage included
	// (--include-managed); TestE2EGitOps has the default for those.
	m := env.migrator(t, nil, Options{BatchSize: 5, Progress: &progress, IncludeManaged: true})

	plan, err := m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, plan.Report); err != nil {
		t.Fatal(err)
	}
	golden(t, "e2e-plan.golden", table.String())
	streamedPlanAgrees(t, env.migrator(t, nil, Options{PageSize: 2, IncludeManaged: true}), plan.Report)
	env.assertUnwritten(t, seeded, nil, "after the plan")
	assertLabelledNamespaces(t, plan.Report, StatusUnchanged)

	applied, err := m.Apply(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if got := applied.Totals.Objects[StatusPatched]; got != len(migratedValues) || applied.Totals.Failed != 0 {
		t.Fatalf("apply: %s; want %d patched", countStatusMap(applied.Totals.Objects), len(migratedValues))
	}
	if got := plan.Report.Totals.Objects[StatusPlanned]; got != len(migratedValues) {
		t.Errorf("after the apply, the plan's report has %d planned objects, want %d: Apply must leave it as it is", got, len(migratedValues))
	}
	if want := "migrate: batch 3/3: 2 patched; 12/12 objects done\n"; !strings.HasSuffix(progress.String(), want) {
		t.Errorf("progress:\n%s\nwant it to end with %q", progress.String(), want)
	}
	env.assertMigrated(t, seeded)
	env.assertUnwritten(t, seeded, migratedValues, "after the apply")
	assertLabelledNamespaces(t, applied, StatusUnchanged)
	for _, key := range []string{"Deployment/frozen/kiosk", "Deployment/trial/canary"} {
		if now := env.fetch(t, seeded[key]); now.GetResourceVersion() != seeded[key].GetResourceVersion() {
			t.Errorf("%s, in a namespace labelled %s, was written by the apply", key, wellknown.LabelMode)
		}
	}

	t.Run("a second apply changes nothing", func(t *testing.T) {
		before := env.resourceVersions(t, seeded)
		plan, err := m.Plan(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		again, err := m.Apply(t.Context(), plan)
		if err != nil {
			t.Fatal(err)
		}
		if s := Summary(again); !strings.Contains(s, "nothing to change") {
			t.Errorf("summary %q does not say there is nothing to change", s)
		}
		if after := env.resourceVersions(t, seeded); !maps.Equal(before, after) {
			t.Errorf("a second apply wrote objects: resource versions %v -> %v", before, after)
		}
	})

	// The team moves to a new tag after the migration; undo must keep it.
	cache := env.fetch(t, seeded["Deployment/shop/cache"])
	const newer = "proxy.example.internal/dockerhub/bitnami/redis:7.4"
	if err := setString(cache.Object, "/spec/template/spec/containers/0/image", newer); err != nil {
		t.Fatal(err)
	}
	if err := env.client.Update(t.Context(), cache); err != nil {
		t.Fatal(err)
	}

	undoPlan, err := m.PlanUndo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	undo, err := m.Apply(t.Context(), undoPlan)
	if err != nil {
		t.Fatal(err)
	}
	table.Reset()
	if err := WriteTable(&table, undo); err != nil {
		t.Fatal(err)
	}
	golden(t, "e2e-undo.golden", table.String())
	env.assertRestored(t, seeded, map[string]string{"Deployment/shop/cache": newer})

	t.Run("a second undo changes nothing", func(t *testing.T) {
		again, err := m.PlanUndo(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Only the value changed since is still recorded, and it is not
		// restorable: nothing to patch.
		if objs := again.Report.Objects; len(objs) != 1 || objs[0].Name != "cache" || objs[0].Status != StatusUnchanged {
			t.Errorf("a second undo: %+v; want only shop/cache, unchanged", objs)
		}
	})
}

// labelledRows are the rows of the seeded workloads in namespaces labelled
// pullthrough.dev/mode: off (frozen) excludes them, audit (trial) shows the
// rewrite without making it.
var labelledRows = map[string][]Row{
	"Deployment/frozen/kiosk": {{
		Field: "nginx", Path: "/spec/template/spec/containers/0/image",
		Old: "docker.io/library/nginx:1.26", New: "docker.io/library/nginx:1.26", Outcome: rewrite.OutcomeExcludedNamespace,
	}},
	"Deployment/trial/canary": {{
		Field: "app", Path: "/spec/template/spec/containers/0/image",
		Old: "ghcr.io/acme/canary:1", New: "proxy.example.internal/ghcr/acme/canary:1", Outcome: rewrite.OutcomeAudit,
	}},
}

// assertLabelledNamespaces checks the report's objects of labelledRows: their
// rows, and status (nothing planned, nothing patched).
func assertLabelledNamespaces(t *testing.T, r *Report, status Status) {
	t.Helper()
	for key, want := range labelledRows {
		i := slices.IndexFunc(r.Objects, func(o *Object) bool { return o.Kind+"/"+o.Namespace+"/"+o.Name == key })
		if i < 0 {
			t.Errorf("%s is not in the %s report", key, r.Action)
			continue
		}
		if o := r.Objects[i]; o.Status != status || !reflect.DeepEqual(o.Rows, want) {
			t.Errorf("%s in the %s report: status %s, rows %+v; want %s, %+v", key, r.Action, o.Status, o.Rows, status, want)
		}
	}
}

// assertMigrated checks every patched object's new values, its record of
// the originals, and that its other annotations are kept.
func (e *e2eEnv) assertMigrated(t *testing.T, seeded map[string]*unstructured.Unstructured) {
	t.Helper()
	for key, values := range migratedValues {
		was, now := seeded[key], e.fetch(t, seeded[key])
		record := map[string]string{}
		for path, want := range values {
			if got, _ := lookupString(now.Object, path); got != want {
				t.Errorf("%s %s = %q, want %q", key, path, got, want)
			}
			record[path], _ = lookupString(was.Object, path)
		}
		wantAnnotations := ownAnnotations(was)
		wantAnnotations[wellknown.AnnotationMigratedImages] = wellknown.EncodeRecord(record)
		if got := ownAnnotations(now); !maps.Equal(got, wantAnnotations) {
			t.Errorf("%s annotations = %v, want %v", key, got, wantAnnotations)
		}
	}
}

// assertUnwritten checks that no seeded object outside written was written.
func (e *e2eEnv) assertUnwritten(t *testing.T, seeded map[string]*unstructured.Unstructured, written map[string]map[string]string, when string) {
	t.Helper()
	for key, was := range seeded {
		if _, ok := written[key]; ok {
			continue
		}
		if now := e.fetch(t, was); now.GetResourceVersion() != was.GetResourceVersion() {
			t.Errorf("%s: %s was written", when, key)
		}
	}
}

// assertRestored checks that every seeded object has its seeded spec, data
// and annotations back, except the values in kept (key -> the one image of
// the object that was changed after the migration and must stay, with its
// original still recorded).
func (e *e2eEnv) assertRestored(t *testing.T, seeded map[string]*unstructured.Unstructured, kept map[string]string) {
	t.Helper()
	const image0 = "/spec/template/spec/containers/0/image"
	for key, was := range seeded {
		want := was.DeepCopy()
		if image, ok := kept[key]; ok {
			original, _ := lookupString(was.Object, image0)
			annotations := ownAnnotations(want)
			annotations[wellknown.AnnotationMigratedImages] = wellknown.EncodeRecord(map[string]string{image0: original})
			want.SetAnnotations(annotations)
			if err := setString(want.Object, image0, image); err != nil {
				t.Fatal(err)
			}
		}
		now := e.fetch(t, was)
		for _, field := range []string{"spec", "data"} {
			if !reflect.DeepEqual(now.Object[field], want.Object[field]) {
				t.Errorf("%s %s after undo:\n got %v\nwant %v", key, field, now.Object[field], want.Object[field])
			}
		}
		if !maps.Equal(ownAnnotations(now), ownAnnotations(want)) {
			t.Errorf("%s annotations after undo = %v, want %v", key, ownAnnotations(now), ownAnnotations(want))
		}
	}
}

// resourceVersions snapshots every seeded object's resourceVersion.
func (e *e2eEnv) resourceVersions(t *testing.T, seeded map[string]*unstructured.Unstructured) map[string]string {
	t.Helper()
	versions := map[string]string{}
	for key, u := range seeded {
		versions[key] = e.fetch(t, u).GetResourceVersion()
	}
	return versions
}

// streamedPlanAgrees checks that PlanEach, listing two objects per page,
// writes the objects and totals of Plan's report, each object once (several
// config targets select some of them), as valid JSON.
func streamedPlanAgrees(t *testing.T, m *Migrator, want *Report) {
	t.Helper()
	var out bytes.Buffer
	streamed, err := m.PlanEach(t.Context(), NewJSONWriter(&out))
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("streamed plan: %v\n%s", err, out.String())
	}
	items := make([]*item, len(got.Objects))
	for i, o := range got.Objects {
		items[i] = &item{row: *o}
	}
	sorted := newPlan(&forward{m: m}, items).Report
	if !reflect.DeepEqual(sorted.Objects, want.Objects) || !reflect.DeepEqual(got.Totals, want.Totals) || !reflect.DeepEqual(streamed.Totals, want.Totals) {
		t.Errorf("streamed plan differs from Plan's:\n%s\nwant objects %d, totals %+v", out.String(), len(want.Objects), want.Totals)
	}
}
