package migrate

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/pullthrough/pullthrough/wellknown"
)

// TestE2EConflicts changes objects between the plan and the patch, as a
// deploy pipeline would during a migration, and checks that the migrator
// never overwrites such a change nor reports success for a patch it did not
// make; and that a patch the API server refuses for itself fails at once.
func TestE2EConflicts(t *testing.T) {
	env := startE2E(t)
	const image = "/spec/template/spec/containers/0/image"
	seeded := env.seed(t, []*unstructured.Unstructured{
		newNamespace("race"),
		newDeployment("Deployment", "race", "stale", "nginx:1.27"),
		newDeployment("Deployment", "race", "busy", "nginx:1.27"),
		newDeployment("Deployment", "race", "calm", "nginx:1.27"),
	}, nil)
	// "busy" changes again before each patch request for it, the retry's
	// included: the migrator's requests pass through a transport that makes
	// the change first, as a deploy pipeline racing it would.
	bumps := 0
	racing := rest.CopyConfig(env.admin)
	racing.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPatch && path.Base(r.URL.Path) == "busy" {
				bumps++
				env.setImage(t, seeded["Deployment/race/busy"], fmt.Sprintf("nginx:1.%d", 28+bumps))
			}
			return rt.RoundTrip(r)
		})
	})
	m := env.migrator(t, racing, Options{Namespaces: []string{"race"}, Kinds: []string{"deployments"}})
	plan, err := m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// "stale" moves to a new tag after the plan was made.
	env.setImage(t, seeded["Deployment/race/stale"], "nginx:1.28")
	applied, err := m.Apply(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]*Object{}
	for _, o := range applied.Objects {
		status[o.Name] = o
	}

	t.Run("a change after the plan is migrated, not overwritten", func(t *testing.T) {
		o := status["stale"]
		if o.Status != StatusPatched || !o.Retried {
			t.Fatalf("status %s, retried %v (%s); want patched after a retry", o.Status, o.Retried, o.Error)
		}
		now := env.fetch(t, seeded["Deployment/race/stale"])
		if got, _ := lookupString(now.Object, image); got != "proxy.example.internal/dockerhub/library/nginx:1.28" {
			t.Errorf("image = %q: the concurrent nginx:1.28 must be kept, and moved to the proxy", got)
		}
		if got := now.GetAnnotations()[wellknown.AnnotationMigratedImages]; got != `{"`+image+`":"nginx:1.28"}` {
			t.Errorf("record = %s, want the value the patch replaced (nginx:1.28)", got)
		}
	})

	t.Run("a change during the retry fails the object", func(t *testing.T) {
		o := status["busy"]
		if o.Status != StatusFailed || !strings.Contains(o.Error, "changed again") || bumps != 2 {
			t.Fatalf("status %s, error %q after %d changes; want failed after 2", o.Status, o.Error, bumps)
		}
		now := env.fetch(t, seeded["Deployment/race/busy"])
		if got, _ := lookupString(now.Object, image); got != "nginx:1.30" {
			t.Errorf("image = %q, want the last concurrent value nginx:1.30", got)
		}
		if _, ok := now.GetAnnotations()[wellknown.AnnotationMigratedImages]; ok {
			t.Error("the failed object carries a record of a patch that was not made")
		}
		if applied.Totals.Failed != 1 {
			t.Errorf("failed count %d, want 1", applied.Totals.Failed)
		}
	})

	t.Run("other objects are unaffected", func(t *testing.T) {
		if o := status["calm"]; o.Status != StatusPatched || o.Retried {
			t.Fatalf("status %s, retried %v; want patched at once", o.Status, o.Retried)
		}
	})

	t.Run("a patch the server refuses fails without a retry", func(t *testing.T) {
		// A ConfigMap value too large for the record annotation (256 KiB):
		// the 422 is not a conflict, and retrying would not help.
		big := strings.Repeat("# padding\n", 30_000) + "hub: docker.io/istio\n"
		cm := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"values.yaml": big},
		}}
		cm.SetNamespace("addons")
		cm.SetName("huge")
		cm.SetLabels(map[string]string{"app": "my-addon"})
		env.seed(t, []*unstructured.Unstructured{newNamespace("addons"), cm}, nil)
		r, err := carryOut(t, env.migrator(t, nil, Options{Namespaces: []string{"addons"}, Kinds: []string{"cm"}}), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Objects) != 1 {
			t.Fatalf("%d objects, want the one ConfigMap", len(r.Objects))
		}
		o := r.Objects[0]
		if o.Status != StatusFailed || o.Retried || !strings.Contains(o.Error, "Too long") {
			t.Fatalf("status %s, retried %v, error %q; want failed at once with the API server's error", o.Status, o.Retried, o.Error)
		}
	})
}

// roundTripFunc adapts a function to http.RoundTripper: the seam where a test
// acts between the migrator's decision and the API server's answer.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
