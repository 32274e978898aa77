package inventory

import (
	"encoding/json"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// realisticPod is the pod of the webhook's realistic Deployment fixture: a
// controller's pod with managedFields, probes, env and four images.
func realisticPod(t testing.TB) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile("../webhook/testdata/requests/realistic-deployment-pod.json")
	if err != nil {
		t.Fatal(err)
	}
	var review struct {
		Request struct {
			Object corev1.Pod `json:"object"`
		} `json:"request"`
	}
	if err := json.Unmarshal(raw, &review); err != nil {
		t.Fatal(err)
	}
	return &review.Request.Object
}
