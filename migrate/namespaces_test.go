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
