package migrate

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/pullthrough/pullthrough/e2e"
)

// TestModeOf holds the migrator to the chart's routing: no label or enforce
// is enforce, off off, audit audit, and any other value audit and unknown
// (TestModeOfAgreesWithChart checks the rendered selectors themselves).
func TestModeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		labels    map[string]string
		want      nsMode
		wantKnown bool
	}{
		{name: "no labels", want: nsEnforce, wantKnown: true},
		{name: "other labels", labels: map[string]string{"team": "shop"}, want: nsEnforce, wantKnown: true},
		{name: "enforce", labels: map[string]string{LabelMode: "enforce"}, want: nsEnforce, wantKnown: true},
		{name: "off", labels: map[string]string{LabelMode: "off"}, want: nsOff, wantKnown: true},
		{name: "audit", labels: map[string]string{LabelMode: "audit"}, want: nsAudit, wantKnown: true},
		// A typo must never enforce: it audits, and is reported.
		{name: "upper case", labels: map[string]string{LabelMode: "Off"}, want: nsAudit},
		{name: "Audit", labels: map[string]string{LabelMode: "Audit"}, want: nsAudit},
		{name: "audti", labels: map[string]string{LabelMode: "audti"}, want: nsAudit},
		{name: "empty value", labels: map[string]string{LabelMode: ""}, want: nsAudit},
		{name: "unknown value", labels: map[string]string{LabelMode: "disabled"}, want: nsAudit},
		{name: "another prefix", labels: map[string]string{"example.com/mode": "off"}, want: nsEnforce, wantKnown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, known := modeOf(tt.labels); got != tt.want || known != tt.wantKnown {
				t.Errorf("modeOf(%v) = %d, %v; want %d, %v", tt.labels, got, known, tt.want, tt.wantKnown)
			}
		})
	}
}

// TestModeOfAgreesWithChart evaluates the namespaceSelectors of the chart's
// rendered webhook configuration for each label value and holds modeOf to
// the path they pick: the webhook and the migrator leave the same
// namespaces alone.
func TestModeOfAgreesWithChart(t *testing.T) {
	t.Parallel()
	mwc, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	modeOfPath := map[string]nsMode{"/mutate-pods": nsEnforce, "/audit-pods": nsAudit, "/audit-pods-unknown-mode": nsAudit, "": nsOff}
	for _, value := range []string{"<absent>", "enforce", "audit", "off", "", "Audit", "audti", "disabled", "Off", "ENFORCE"} {
		set := labels.Set{"kubernetes.io/metadata.name": "shop"}
		if value != "<absent>" {
			set[LabelMode] = value
		}
		var paths []string
		for _, w := range mwc.Webhooks {
			sel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Matches(set) {
				paths = append(paths, *w.ClientConfig.Service.Path)
			}
		}
		if len(paths) > 1 {
			t.Errorf("%s=%q: matched by %d webhooks %v, want at most one", LabelMode, value, len(paths), paths)
			continue
		}
		path := strings.Join(paths, "")
		mode, known := modeOf(set)
		if want := modeOfPath[path]; mode != want || known != (path != "/audit-pods-unknown-mode") {
			t.Errorf("%s=%q: the chart routes to %q, modeOf gives %d (known %v)", LabelMode, value, path, mode, known)
		}
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
