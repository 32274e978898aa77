package migrate

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestForwardRoute: an object that opted out (pullthrough.dev/skip on it or
// its pod template, or a pullthrough release's) is left alone first, in any
// namespace; else each namespace is routed by the mode in force there
// (config.Config.ModeIn): off and exclude.namespaces are excluded, audit
// withholds, enforce and cluster-scoped objects enforce; a namespace the run
// did not read fails rather than enforce, unless the config excludes it.
func TestForwardRoute(t *testing.T) {
	t.Parallel()
	m := newOfflineMigrator(t, Options{})
	f := &forward{m: m, modes: namespaceModes{"quiet": config.ModeOff, "trial": config.ModeAudit, "shop": config.ModeEnforce}}
	templated := []inspector{podSpecInspector{path: "spec.template.spec"}}
	skip := map[string]string{wellknown.LabelSkip: "true"}
	tests := []struct {
		namespace      string
		labels         map[string]string // of the object
		templateLabels map[string]string
		want           string // "enforce", "audit", "excluded", "opted-out" or "error"
	}{
		{namespace: "quiet", want: "excluded"},
		{namespace: "trial", want: "audit"},
		{namespace: "shop", want: "enforce"},
		{namespace: "", want: "enforce"}, // cluster-scoped: no namespace, no label
		{namespace: "newer", want: "error"},
		{namespace: "legacy-apps", want: "excluded"}, // exclude.namespaces, never read
		{namespace: "shop", labels: skip, want: "opted-out"},
		{namespace: "shop", templateLabels: skip, want: "opted-out"},
		{namespace: "quiet", templateLabels: skip, want: "opted-out"}, // as podspec.DecidePod: opting out comes first
		{namespace: "shop", labels: map[string]string{wellknown.LabelSkip: "false"}, want: "enforce"},
		// The release's own objects, in a namespace the config does not exclude.
		{namespace: "shop", labels: map[string]string{wellknown.LabelAppName: wellknown.AppName}, want: "opted-out"},
		{namespace: "shop", templateLabels: map[string]string{wellknown.LabelAppName: wellknown.AppName}, want: "opted-out"},
		{namespace: "shop", templateLabels: map[string]string{wellknown.LabelAppName: "pullthrough-selftest"}, want: "enforce"},
	}
	for _, tt := range tests {
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetNamespace(tt.namespace)
		u.SetLabels(tt.labels)
		if tt.templateLabels != nil {
			if err := unstructured.SetNestedStringMap(u.Object, tt.templateLabels, "spec", "template", "metadata", "labels"); err != nil {
				t.Fatal(err)
			}
		}
		rw, skip, err := f.route(u, templated)
		var got string
		switch {
		case err != nil:
			got = "error"
		case skip == rewrite.OutcomeExcludedNamespace:
			got = "excluded"
		case skip == rewrite.OutcomeOptedOut:
			got = "opted-out"
		case rw == m.audit:
			got = "audit"
		case rw == m.enforce:
			got = "enforce"
		}
		if got != tt.want {
			t.Errorf("route(namespace %q, labels %v, template labels %v) = %s, want %s", tt.namespace, tt.labels, tt.templateLabels, got, tt.want)
		}
	}
}

// inNamespace moves u to namespace ns.
func inNamespace(ns string, u *unstructured.Unstructured) *unstructured.Unstructured {
	u.SetNamespace(ns)
	return u
}

// TestScopedRoute: with scoped mirrors, forward and undo route each object
// in its namespace (by name and by the labels the run read), so undo
// recomputes what apply wrote there and restores it.
func TestScopedRoute(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("../examples/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(nil, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	labels := namespaceLabels{"payments": {"tenant": "b", "kubernetes.io/metadata.name": "payments"}}
	modes := namespaceModes{"team-a": config.ModeEnforce, "payments": config.ModeEnforce, "shop": config.ModeEnforce}
	f := &forward{m: m, modes: modes, labels: labels}
	for ns, want := range map[string]string{
		"team-a":   "proxy.example.internal/team-a/library/nginx",   // by name; never read as labels
		"payments": "proxy.example.internal/tenant-b/library/nginx", // by label
		"shop":     "proxy.example.internal/dockerhub/library/nginx",
	} {
		obj := object(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "+ns+"}\nspec: {template: {spec: {containers: [{name: app, image: nginx}]}}}\n")
		plan := decideOffline(t, m, f, "deployments", obj)
		if got := plan.Report.Objects[0].Rows[0].New; got != want {
			t.Errorf("%s: forward planned %q, want %q", ns, got, want)
		}
		// What apply wrote, undo in the same namespace recognises and restores.
		obj = object(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "+ns+", annotations: {"+wellknown.AnnotationMigratedImages+": '{\"/spec/template/spec/containers/0/image\":\"nginx\"}'}}\nspec: {template: {spec: {containers: [{name: app, image: '"+want+"'}]}}}\n")
		undone := decideOffline(t, m, &undo{m: m, labels: labels}, "deployments", obj)
		if got := undone.Report.Objects[0].Rows[0]; got.New != "nginx" || got.Outcome != OutcomeRestored {
			t.Errorf("%s: undo row %+v, want nginx restored", ns, got)
		}
	}
}
