package webhook

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// namespaceMap is NamespaceLabels from a map; a namespace it lacks fails,
// as a GET past its budget would.
type namespaceMap map[string]map[string]string

func (m namespaceMap) Labels(_ context.Context, name string) (map[string]string, error) {
	if l, ok := m[name]; ok {
		return l, nil
	}
	return nil, errors.New("namespace not found")
}

// TestScopedRouting: the request's namespace, by name and by labels, picks
// the scoped mirror on both paths; a namespace whose labels cannot be read
// routes as an unlabelled one, and the error is counted.
func TestScopedRouting(t *testing.T) {
	t.Parallel()
	labels := namespaceMap{
		"team-a":   {"kubernetes.io/metadata.name": "team-a"},
		"payments": {"kubernetes.io/metadata.name": "payments", "tenant": "b"},
		"shop":     {"kubernetes.io/metadata.name": "shop"},
	}
	tests := []struct {
		name, namespace string
		audit           bool
		want            string // in the patch (enforce) or the would-rewrite annotation (audit)
		errors          float64
	}{
		{"by name", "team-a", false, "proxy.example.internal/team-a/istio/proxyv2:1.22.0", 0},
		{"by label", "payments", false, "proxy.example.internal/tenant-b/istio/proxyv2:1.22.0", 0},
		{"by label on the audit path", "payments", true, "proxy.example.internal/tenant-b/istio/proxyv2:1.22.0", 0},
		{"neither", "shop", false, "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", 0},
		{"labels unreadable", "gone", false, "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "../examples/tenants.yaml")
			f.state.SetNamespaceLabels(labels)
			h := f.mutate
			if tt.audit {
				h = f.audit
			}
			// httptest's recorder cannot set deadlines: serve counts that too.
			before := testutil.ToFloat64(f.metrics.internalErrors) + 2
			resp := post(t, h, readRequest(t, "typical-pod", func(req map[string]any) {
				req["namespace"] = tt.namespace
				podMeta(req)["namespace"] = tt.namespace
			}))
			if !resp.Allowed || !strings.Contains(string(resp.Patch), tt.want) {
				t.Errorf("patch %s, want %s in it", resp.Patch, tt.want)
			}
			if got := testutil.ToFloat64(f.metrics.internalErrors) - before; got != tt.errors {
				t.Errorf("internal errors = %v, want %v", got, tt.errors)
			}
		})
	}
}
