package migrate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestE2EUnknownMode: on a real API server, a namespace whose
// pullthrough.dev/mode is not a mode is audited (shown, never patched) and
// named in the report's warnings, with -n and without.
func TestE2EUnknownMode(t *testing.T) {
	env := startE2E(t)
	ns := newNamespace("typo")
	ns.SetLabels(map[string]string{wellknown.LabelMode: "Audit"})
	seeded := env.seed(t, []*unstructured.Unstructured{ns, newDeployment("Deployment", "typo", "web", "nginx:1.27")}, nil)
	for _, opts := range []Options{{Kinds: []string{"deploy"}}, {Kinds: []string{"deploy"}, Namespaces: []string{"typo"}}} {
		m := env.migrator(t, nil, opts)
		p, err := m.Plan(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		plan, err := m.Apply(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		want := `namespace typo: label pullthrough.dev/mode="Audit" is not enforce, audit or off; treated as audit`
		if len(plan.Warnings) != 1 || !strings.HasPrefix(plan.Warnings[0], want) {
			t.Errorf("-n %v: warnings %q, want one starting %q", opts.Namespaces, plan.Warnings, want)
		}
		var table strings.Builder
		if err := WriteTable(&table, plan); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), "\nwarnings:\n  "+want) {
			t.Errorf("the table does not list the warning:\n%s", table.String())
		}
		for _, o := range plan.Objects {
			if o.Namespace != "typo" {
				continue
			}
			if o.Status != StatusUnchanged || len(o.Rows) != 1 || o.Rows[0].Outcome != rewrite.OutcomeAudit {
				t.Errorf("-n %v: %s/%s status %s rows %+v; want unchanged, one audit row", opts.Namespaces, o.Kind, o.Name, o.Status, o.Rows)
			}
		}
	}
	web := seeded["Deployment/typo/web"]
	if now := env.fetch(t, web); now.GetResourceVersion() != web.GetResourceVersion() {
		t.Error("a deployment in a namespace with an unknown mode was patched")
	}
}
