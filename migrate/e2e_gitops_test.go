package migrate

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/wellknown"
)

// gitopsManaged are the objects of testdata/seed-gitops.yaml that a tool
// manages and that have an image to move, with the manager the report names.
var gitopsManaged = map[string]string{
	"Deployment/shop/storefront":                    "Argo CD Application shop",
	"Deployment/shop/worker":                        "Argo CD Application shop",
	"Deployment/shop/api":                           "Flux Kustomization flux-system/apps",
	"CronJob/shop/report":                           "Flux Kustomization flux-system/apps",
	"Deployment/shop/cache":                         "Flux HelmRelease flux-system/redis",
	"Deployment/istio-system/istiod":                "Helm release istio-system/istiod",
	"ConfigMap/istio-system/istio-sidecar-injector": "Helm release istio-system/istiod",
	"Deployment/ingress-nginx/edge-controller":      "Argo CD Application edge",
}

// TestE2EGitOps runs the migrator on a real API server holding objects
// labelled as Argo CD, Flux and Helm label them: the plan lists them
// gitops-managed with their manager, --apply leaves them alone and patches
// the rest, --emit writes the change at their source (goldens under
// testdata/emit), and --include-managed patches them with a record that
// --undo takes back.
func TestE2EGitOps(t *testing.T) {
	env := startE2E(t)
	seeded := env.seed(t, readManifests(t, "testdata/seed-gitops.yaml"), nil)
	// The seed has no Installation CRD for the config's field targets.
	opts := Options{ArgoCDInstanceLabel: DefaultArgoCDInstanceLabel, Kinds: []string{"deployments", "cronjobs", "configmaps"}}
	m := env.migrator(t, nil, opts)

	plan, err := m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, plan.Report); err != nil {
		t.Fatal(err)
	}
	golden(t, "e2e-gitops-plan.golden", table.String())
	for _, o := range plan.Report.Objects {
		key := o.Kind + "/" + o.Namespace + "/" + o.Name
		want, managed := gitopsManaged[key]
		switch {
		case managed && (o.Status != StatusGitOpsManaged || o.Manager == nil || o.Manager.String() != want):
			t.Errorf("%s: status %s, manager %v; want %s, %s", key, o.Status, o.Manager, StatusGitOpsManaged, want)
		case !managed && o.Status == StatusGitOpsManaged:
			t.Errorf("%s is gitops-managed, no tool manages it", key)
		}
	}
	// The seed's case: Istio's injector values, owned by a Helm release,
	// are changed at global.hub.
	injector := plan.Report.Objects[slices.IndexFunc(plan.Report.Objects, func(o *Object) bool { return o.Name == "istio-sidecar-injector" })]
	if got := injector.Manager; got.Tool != ToolHelm || !slices.Equal(got.Values, []string{"global.hub"}) {
		t.Errorf("the injector's manager is %+v, want Helm with values global.hub", got)
	}

	dir := t.TempDir()
	written, err := plan.Emit(dir)
	if err != nil {
		t.Fatal(err)
	}
	goldenDir(t, "emit", dir, written)
	if !strings.Contains(readFile(t, filepath.Join(dir, "helm/istio-system/istiod/values.yaml")), "  hub: proxy.example.internal/dockerhub/istio\n") {
		t.Error("helm/istio-system/istiod/values.yaml does not set global.hub")
	}

	applied, err := m.Apply(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if got := applied.Totals.Objects; got[StatusPatched] != 1 || got[StatusGitOpsManaged] != len(gitopsManaged) || applied.Totals.Failed != 0 {
		t.Fatalf("apply: %s; want 1 patched, %d gitops-managed", countStatusMap(got), len(gitopsManaged))
	}
	env.assertUnwritten(t, seeded, map[string]map[string]string{"Deployment/shop/plain": nil}, "after an apply without --include-managed")

	t.Run("--include-managed patches them, and --undo takes it back", func(t *testing.T) {
		included := opts
		included.IncludeManaged = true
		mi := env.migrator(t, nil, included)
		plan, err := mi.Plan(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.Report.Totals.Objects; got[StatusPlanned] != len(gitopsManaged) || got[StatusGitOpsManaged] != 0 {
			t.Fatalf("plan with --include-managed: %s; want %d planned", countStatusMap(got), len(gitopsManaged))
		}
		applied, err := mi.Apply(t.Context(), plan)
		if err != nil {
			t.Fatal(err)
		}
		if got := applied.Totals.Objects[StatusPatched]; got != len(gitopsManaged) || applied.Totals.Failed != 0 {
			t.Fatalf("apply with --include-managed: %s", countStatusMap(applied.Totals.Objects))
		}
		for key := range gitopsManaged {
			if _, recorded := env.fetch(t, seeded[key]).GetAnnotations()[wellknown.AnnotationMigratedImages]; !recorded {
				t.Errorf("%s was patched without a record", key)
			}
		}
		// Undo restores every object the two applies patched, managed or not.
		undoPlan, err := m.PlanUndo(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		undone, err := m.Apply(t.Context(), undoPlan)
		if err != nil {
			t.Fatal(err)
		}
		if got := undone.Totals.Objects[StatusPatched]; got != len(gitopsManaged)+1 || undone.Totals.Failed != 0 {
			t.Fatalf("undo: %s; want %d patched", countStatusMap(undone.Totals.Objects), len(gitopsManaged)+1)
		}
		env.assertRestored(t, seeded, nil)
	})
}

// goldenDir compares the files written under dir (names, relative) with
// testdata/name, file by file and as a set; -update replaces testdata/name.
func goldenDir(t *testing.T, name, dir string, names []string) {
	t.Helper()
	want := filepath.Join("testdata", name)
	if *update {
		if err := os.RemoveAll(want); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(want, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		return
	}
	var wantNames []string
	err := filepath.WalkDir(want, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(want, path)
			wantNames = append(wantNames, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("files written %q, want %q (run with -update to accept)", names, wantNames)
	}
	for _, n := range names {
		golden(t, filepath.Join(name, n), readFile(t, filepath.Join(dir, n)))
	}
}

// readFile returns a file's content or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
