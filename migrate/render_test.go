package migrate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// renderedReport is a report with one object of each shape a table shows:
// several values, none, a failure, a flagged manager, a cluster-scoped object.
func renderedReport() *Report {
	r := &Report{Action: ActionApply, Objects: []*Object{{
		Resource: "installations.operator.example.io", Kind: "Installation", Name: "default", Status: StatusPatched,
		Rows: []Row{{Field: "spec.registry", Path: "/spec/registry", Old: "quay.io/", New: "proxy.example.internal/quay/", Outcome: rewrite.OutcomeRewritten}},
	}, {
		Resource: "deployments.apps", Kind: "Deployment", Namespace: "shop", Name: "web", Status: StatusPatched,
		ManagedBy: []string{"Argo CD Application web"}, Manager: &Manager{Tool: ToolArgoCD, Kind: "Application", Name: "web"},
		Rows: []Row{
			{Field: "init:setup", Path: "/spec/template/spec/initContainers/0/image", Old: "busybox:1.36", New: "busybox:1.36", Outcome: rewrite.OutcomeExcludedImage},
			{Field: "nginx", Path: "/spec/template/spec/containers/0/image", Old: "nginx:1.27", New: "proxy.example.internal/dockerhub/library/nginx:1.27", Outcome: rewrite.OutcomeRewritten},
		},
	}, {
		// Not patched: its release's next upgrade would revert it.
		Resource: "deployments.apps", Kind: "Deployment", Namespace: "shop", Name: "cache", Status: StatusGitOpsManaged,
		ManagedBy: []string{"Helm release shop/cache"}, Manager: &Manager{Tool: ToolHelm, Kind: "release", Namespace: "shop", Name: "cache", Chart: "redis"},
		Rows: []Row{{Field: "redis", Path: "/spec/template/spec/containers/0/image", Old: "docker.io/bitnami/redis:7.2", New: "proxy.example.internal/dockerhub/bitnami/redis:7.2", Outcome: rewrite.OutcomeRewritten}},
	}, {
		Resource: "statefulsets.apps", Kind: "StatefulSet", Namespace: "shop", Name: "db", Status: StatusFailed,
		Error: `statefulsets.apps "db" is forbidden: User "limited" cannot patch resource "statefulsets" in API group "apps" in the namespace "shop"`,
		Rows:  []Row{{Field: "db", Path: "/spec/template/spec/containers/0/image", Old: "ghcr.io/acme/db:2", New: "proxy.example.internal/ghcr/acme/db:2", Outcome: rewrite.OutcomeRewritten}},
	}, {
		Resource: "installations.operator.example.io", Kind: "Installation", Name: "bare", Status: StatusUnchanged,
	}, {
		// --undo shows a ConfigMap value whole: it must stay on one line.
		Resource: "configmaps", Kind: "ConfigMap", Namespace: "addons", Name: "images", Status: StatusPatched,
		Rows: []Row{{Field: "data.images", Path: "/data/images", Old: "image: proxy.example.internal/quay/calico/node:v3.28.0\nregistry: proxy.example.internal/ghcr/acme\n",
			New: "image: quay.io/calico/node:v3.28.0\n", Outcome: OutcomeChangedSince}},
	}}}
	r.count()
	return r
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteTable(&b, renderedReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", b.String())
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, renderedReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", b.String())
}

func TestSummary(t *testing.T) {
	t.Parallel()
	report := func(action Action, dryRun bool, statuses ...Status) *Report {
		r := &Report{Action: action, ServerDryRun: dryRun}
		for _, s := range statuses {
			r.Objects = append(r.Objects, &Object{Status: s})
		}
		r.count()
		return r
	}
	tests := []struct {
		name   string
		report *Report
		want   string
	}{
		{"plan", report(ActionPlan, false, StatusPlanned, StatusPlanned, StatusReportOnly, StatusUnchanged),
			"migrate plan: 2 planned, 1 report-only, 1 unchanged; run with --apply to patch the planned objects"},
		{"apply", report(ActionApply, false, StatusPatched, StatusFailed, StatusUnchanged),
			"migrate apply: 1 patched, 1 failed, 1 unchanged"},
		// The idempotence message a second run prints.
		{"second apply", report(ActionApply, false, StatusUnchanged, StatusUnchanged, StatusReportOnly),
			"migrate apply: nothing to change (3 objects checked: 1 report-only, 2 unchanged)"},
		{"dry run", report(ActionApply, true, StatusDryRun),
			"migrate apply (server dry-run): 1 dry-run"},
		{"empty cluster", report(ActionUndo, false),
			"migrate undo: nothing to change (0 objects checked: none)"},
		// --undo alone plans; the summary says how to act on it.
		{"undo plan", report(ActionUndo, false, StatusPlanned, StatusUnchanged),
			"migrate undo: 1 planned, 1 unchanged; run with --undo --apply to restore the planned values"},
		{"undo keeps what it could not restore", keptReport(2),
			"migrate undo: nothing to change (1 objects checked: 1 unchanged); 2 values not restored (changed-since) stay recorded in " + wellknown.AnnotationMigratedImages},
		// Managed objects are not patched by --apply: the summary says what to do.
		{"gitops-managed only", report(ActionPlan, false, StatusGitOpsManaged, StatusUnchanged),
			"migrate plan: 1 gitops-managed, 1 unchanged; 1 gitops-managed objects not patched (their sync would put the old image back): change their source, which --emit DIR writes, or patch them too with --include-managed"},
		{"gitops-managed beside planned", report(ActionPlan, false, StatusPlanned, StatusGitOpsManaged),
			"migrate plan: 1 planned, 1 gitops-managed; run with --apply to patch the planned objects; 1 gitops-managed objects not patched (their sync would put the old image back): change their source, which --emit DIR writes, or patch them too with --include-managed"},
		{"unrouted public images", func() *Report {
			r := report(ActionPlan, false, StatusUnchanged)
			r.Objects[0].Rows = []Row{{Outcome: rewrite.OutcomeUnroutedPublic}, {Outcome: rewrite.OutcomeUnroutedPublic}, {Outcome: rewrite.OutcomeNoRule}}
			r.count()
			return r
		}(), "migrate plan: nothing to change (1 objects checked: 1 unchanged); 2 values still on public registries no mirror covers (unrouted-public)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Summary(tt.report); got != tt.want {
				t.Fatalf("Summary =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "nginx:1.27", "nginx:1.27"},
		{"empty", "", `""`},
		{"newline quoted", "a\nb", `"a\nb"`},
		{"tab quoted", "a\tb", `"a\tb"`},
		// Invisible, but it makes the value read as another (table.Cell).
		{"right-to-left override quoted", "app\u202egnp", `"app\u202egnp"`},
		{"long cut on a rune boundary", strings.Repeat("é", 100), strings.Repeat("é", maxCell-3) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cell(tt.in); got != tt.want {
				t.Fatalf("cell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// keptReport is an undo that found n values changed since the forward run.
func keptReport(n int) *Report {
	o := &Object{Status: StatusUnchanged}
	for range n {
		o.Rows = append(o.Rows, Row{Outcome: OutcomeChangedSince})
	}
	r := &Report{Action: ActionUndo, Objects: []*Object{o}}
	r.count()
	return r
}
