package migrate

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
)

// TestForwardRoute: each namespace is routed by the mode in force there
// (config.Config.ModeIn): off and exclude.namespaces are excluded, audit
// withholds, enforce and cluster-scoped objects enforce; a namespace the run
// did not read fails rather than enforce, unless the config excludes it.
func TestForwardRoute(t *testing.T) {
	t.Parallel()
	m := newOfflineMigrator(t, Options{})
	f := &forward{m: m, modes: namespaceModes{"quiet": config.ModeOff, "trial": config.ModeAudit, "shop": config.ModeEnforce}}
	tests := []struct {
		namespace string
		want      string // "enforce", "audit", "excluded" or "error"
	}{
		{"quiet", "excluded"},
		{"trial", "audit"},
		{"shop", "enforce"},
		{"", "enforce"}, // cluster-scoped: no namespace, no label
		{"newer", "error"},
		{"legacy-apps", "excluded"}, // exclude.namespaces, never read
	}
	for _, tt := range tests {
		rw, excluded, err := f.route(tt.namespace)
		var got string
		switch {
		case err != nil:
			got = "error"
		case excluded:
			got = "excluded"
		case rw == m.audit:
			got = "audit"
		case rw == m.enforce:
			got = "enforce"
		}
		if got != tt.want {
			t.Errorf("route(%q) = %s, want %s", tt.namespace, got, tt.want)
		}
	}
}

// inNamespace moves u to namespace ns.
func inNamespace(ns string, u *unstructured.Unstructured) *unstructured.Unstructured {
	u.SetNamespace(ns)
	return u
}
