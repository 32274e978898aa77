package migrate

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
)

func TestNamespaceModesOf(t *testing.T) {
	t.Parallel()
	modes := namespaceModes{"quiet": config.ModeOff, "trial": config.ModeAudit, "shop": config.ModeEnforce}
	tests := []struct {
		namespace string
		want      config.Mode
	}{
		{"quiet", config.ModeOff},
		{"trial", config.ModeAudit},
		{"shop", config.ModeEnforce},
		{"", config.ModeEnforce}, // cluster-scoped: no namespace, no label
		{"newer", modeUnknown},
	}
	for _, tt := range tests {
		if got := modes.of(tt.namespace); got != tt.want {
			t.Errorf("of(%q) = %s, want %s", tt.namespace, got, tt.want)
		}
	}
}

// inNamespace moves u to namespace ns.
func inNamespace(ns string, u *unstructured.Unstructured) *unstructured.Unstructured {
	u.SetNamespace(ns)
	return u
}
