package webhook

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountEveryImage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config.yaml")
	for _, name := range []string{"create-all-lists", "already-proxied", "opted-out", "wrong-kind"} {
		body, err := os.ReadFile("testdata/requests/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		post(t, f.mutate, body)
	}
	body, err := os.ReadFile("testdata/requests/create-all-lists.json")
	if err != nil {
		t.Fatal(err)
	}
	post(t, f.audit, body)
	// A made-up operation must not become a label value of its own.
	post(t, f.mutate, []byte(strings.Replace(string(body), `"operation": "CREATE"`, `"operation": "MADE-UP-1234"`, 1)))

	images := []struct {
		registry, outcome string
		want              float64
	}{
		// create-all-lists: 2 docker.io + ghcr + quay rewritten, busybox excluded, corp no rule.
		{"docker.io", "rewritten", 2},
		{"ghcr.io", "rewritten", 1},
		{"quay.io", "rewritten", 1},
		{"other", "excluded-image", 2}, // once per path
		{"other", "no-rule", 3},        // twice from create, once from already-proxied
		{"other", "already-proxied", 1},
		{"other", "opted-out", 1},
		// the audit pass over the same pod
		{"docker.io", "audit", 2},
		{"ghcr.io", "audit", 1},
		{"quay.io", "audit", 1},
	}
	for _, m := range images {
		if got := testutil.ToFloat64(f.metrics.images.WithLabelValues(m.registry, m.outcome)); got != m.want {
			t.Errorf("pullthrough_images_total{registry=%q,outcome=%q} = %v, want %v", m.registry, m.outcome, got, m.want)
		}
	}
	requests := []struct {
		operation, result string
		want              float64
	}{
		// create-all-lists on both paths, and already-proxied (pull secrets added)
		{"CREATE", "patched", 3},
		{"CREATE", "unchanged", 1}, // opted-out
		{"CREATE", "rejected", 1},
		{"other", "unchanged", 1},
	}
	for _, m := range requests {
		if got := testutil.ToFloat64(f.metrics.requests.WithLabelValues(m.operation, m.result)); got != m.want {
			t.Errorf("pullthrough_admission_requests_total{operation=%q,result=%q} = %v, want %v", m.operation, m.result, got, m.want)
		}
	}
	if n := testutil.CollectAndCount(f.metrics.duration); n != 3 {
		t.Errorf("duration series = %d, want 3 (CREATE, UPDATE and other, from the start)", n)
	}
	// Every series must carry the pullthrough_ prefix and pass the linter.
	problems, err := testutil.GatherAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}
}
