package migrate

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestModeOf holds the migrator to the chart's namespaceSelectors: the
// enforce webhook matches pullthrough.dev/mode NotIn [off, audit], the
// audit webhook In [audit], so anything else is enforce.
func TestModeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels map[string]string
		want   nsMode
	}{
		{name: "no labels", want: nsEnforce},
		{name: "other labels", labels: map[string]string{"team": "shop"}, want: nsEnforce},
		{name: "enforce", labels: map[string]string{LabelMode: "enforce"}, want: nsEnforce},
		{name: "off", labels: map[string]string{LabelMode: "off"}, want: nsOff},
		{name: "audit", labels: map[string]string{LabelMode: "audit"}, want: nsAudit},
		// Selectors match values exactly: the webhook enforces these, and
		// so does the migrator.
		{name: "upper case", labels: map[string]string{LabelMode: "Off"}, want: nsEnforce},
		{name: "empty value", labels: map[string]string{LabelMode: ""}, want: nsEnforce},
		{name: "unknown value", labels: map[string]string{LabelMode: "disabled"}, want: nsEnforce},
		{name: "another prefix", labels: map[string]string{"example.com/mode": "off"}, want: nsEnforce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := modeOf(tt.labels); got != tt.want {
				t.Errorf("modeOf(%v) = %d, want %d", tt.labels, got, tt.want)
			}
		})
	}
}

func TestNamespaceModesOf(t *testing.T) {
	t.Parallel()
	modes := namespaceModes{"quiet": nsOff, "trial": nsAudit, "shop": nsEnforce}
	tests := []struct {
		namespace string
		want      nsMode
	}{
		{"quiet", nsOff},
		{"trial", nsAudit},
		{"shop", nsEnforce},
		{"", nsEnforce}, // cluster-scoped: no namespace, no label
		{"newer", nsUnknown},
	}
	for _, tt := range tests {
		if got := modes.of(tt.namespace); got != tt.want {
			t.Errorf("of(%q) = %d, want %d", tt.namespace, got, tt.want)
		}
	}
}

// inNamespace moves u to namespace ns.
func inNamespace(ns string, u *unstructured.Unstructured) *unstructured.Unstructured {
	u.SetNamespace(ns)
	return u
}
