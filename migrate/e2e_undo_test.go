package migrate

import (
	"maps"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/wellknown"
)

// TestE2EUndoWithChangedConfig runs --undo with a config whose Docker Hub
// target changed since the forward run, on a real API server: the value it
// can no longer recognise as the migrator's is reported and stays recorded,
// the one it can is restored and leaves the record; an undo with the
// forward run's config then restores the rest and removes the record.
func TestE2EUndoWithChangedConfig(t *testing.T) {
	env := startE2E(t)
	const image0 = "/spec/template/spec/containers/0/image"
	const image1 = "/spec/template/spec/containers/1/image"
	web := newDeployment("Deployment", "moved", "web", "nginx:1.27")
	containers := web.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	containers["containers"] = append(containers["containers"].([]any), map[string]any{"name": "side", "image": "ghcr.io/acme/web:2"})
	seeded := env.seed(t, []*unstructured.Unstructured{newNamespace("moved"), web}, nil)
	web = seeded["Deployment/moved/web"]

	forward := env.migrator(t, nil, Options{Kinds: []string{"deploy"}, Namespaces: []string{"moved"}})
	plan, err := forward.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if done, err := forward.Apply(t.Context(), plan); err != nil || done.Totals.Objects[StatusPatched] != 1 {
		t.Fatalf("forward apply: %v, %s", err, countStatusMap(done.Totals.Objects))
	}

	changed := loadTestConfig(t)
	for i := range changed.Mirrors {
		if changed.Mirrors[i].Source == "docker.io" {
			changed.Mirrors[i].Target = "proxy.example.internal/hub"
		}
	}
	undoChanged := env.migratorWith(t, changed, Options{Kinds: []string{"deploy"}, Namespaces: []string{"moved"}})
	undo, err := undoChanged.PlanUndo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []Row{
		{"app", image0, "proxy.example.internal/dockerhub/library/nginx:1.27", "nginx:1.27", OutcomeChangedSince},
		{"side", image1, "proxy.example.internal/ghcr/acme/web:2", "ghcr.io/acme/web:2", OutcomeRestored},
	}
	assertUndoObject(t, undo.Report, StatusPlanned, wantRows)
	if done, err := undoChanged.Apply(t.Context(), undo); err != nil || done.Totals.Objects[StatusPatched] != 1 {
		t.Fatalf("undo apply: %v, %s", err, countStatusMap(done.Totals.Objects))
	}
	now := env.fetch(t, web)
	assertValues(t, now, map[string]string{
		image0: "proxy.example.internal/dockerhub/library/nginx:1.27",
		image1: "ghcr.io/acme/web:2",
	})
	if got, want := ownAnnotations(now)[wellknown.AnnotationMigratedImages], `{"`+image0+`":"nginx:1.27"}`; got != want {
		t.Fatalf("record after a partial undo = %q, want %q: the value not restored must stay recorded", got, want)
	}

	t.Run("nothing restorable: no patch, the record stays", func(t *testing.T) {
		again, err := undoChanged.PlanUndo(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		assertUndoObject(t, again.Report, StatusUnchanged, wantRows[:1])
		before := env.fetch(t, web).GetResourceVersion()
		if _, err := undoChanged.Apply(t.Context(), again); err != nil {
			t.Fatal(err)
		}
		if after := env.fetch(t, web).GetResourceVersion(); after != before {
			t.Fatalf("an undo with nothing to restore wrote the object (%s -> %s)", before, after)
		}
	})

	undoForward, err := forward.PlanUndo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if done, err := forward.Apply(t.Context(), undoForward); err != nil || done.Totals.Objects[StatusPatched] != 1 {
		t.Fatalf("undo with the forward config: %v, %s", err, countStatusMap(done.Totals.Objects))
	}
	now = env.fetch(t, web)
	assertValues(t, now, map[string]string{image0: "nginx:1.27", image1: "ghcr.io/acme/web:2"})
	if own := ownAnnotations(now); !maps.Equal(own, ownAnnotations(web)) {
		t.Fatalf("annotations after the full undo = %v, want the seeded %v", own, ownAnnotations(web))
	}
}

// assertUndoObject checks the one object of an undo report.
func assertUndoObject(t *testing.T, r *Report, status Status, rows []Row) {
	t.Helper()
	if len(r.Objects) != 1 {
		t.Fatalf("undo report has %d objects, want 1", len(r.Objects))
	}
	if o := r.Objects[0]; o.Status != status || !slices.Equal(o.Rows, rows) {
		t.Fatalf("undo: status %s (%s), rows:\n got %+v\nwant %+v", o.Status, o.Error, o.Rows, rows)
	}
}

// assertValues checks the string values of u at the given JSON pointers.
func assertValues(t *testing.T, u *unstructured.Unstructured, want map[string]string) {
	t.Helper()
	for path, v := range want {
		if got, _ := lookupString(u.Object, path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
}
