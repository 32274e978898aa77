//go:build faults

package faults

import (
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// admissionCounters reads the API server's own view of the webhooks from its
// /metrics: requests it let through because a webhook failed
// (apiserver_admission_webhook_fail_open_count) and requests a webhook
// rejected or that failed closed (apiserver_admission_webhook_rejection_count),
// each summed over pullthrough's webhooks.
func admissionCounters(t *testing.T, cs kubernetes.Interface) (failOpen, rejected float64) {
	t.Helper()
	families, err := cluster.APIServerMetrics(t.Context(), cs)
	if err != nil {
		t.Fatal(err)
	}
	ours := func(labels map[string]string) bool { return strings.HasSuffix(labels["name"], "pullthrough.dev") }
	failOpen, _ = cluster.MetricSum(families, "apiserver_admission_webhook_fail_open_count", ours)
	rejected, _ = cluster.MetricSum(families, "apiserver_admission_webhook_rejection_count", ours)
	return failOpen, rejected
}
