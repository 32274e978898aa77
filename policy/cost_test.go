package policy

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/pullthrough/pullthrough/config"
)

// minRewritten is how many containers one pod may have, at least, and still
// be rewritten whole within kube-apiserver's CEL cost limits.
const minRewritten = 100

// widePod is a pod of n containers, each with a distinct public image.
func widePod(n int) *corev1.Pod {
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf("c%d=ghcr.io/acme/app-%d:1.2.3", i, i))
	}
	return podOf(cs, nil, nil)
}

// TestCostLimit measures the largest pod the policy rewrites within the API
// server's cost limits (per call and per policy), requires at least
// minRewritten containers, and pins what happens beyond: the patcher fails,
// which failurePolicy Ignore turns into the pod admitted unchanged.
func TestCostLimit(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(testConfigs["paths"]))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pol := compileMutating(t, set.Mutating[0])
	fits := func(n int) bool {
		p := widePod(n)
		got, err := pol.admit(t, request{op: admission.Create, namespace: "team", pod: p})
		if err != nil {
			return false
		}
		for i, c := range got.Spec.Containers {
			if c.Image == p.Spec.Containers[i].Image {
				t.Fatalf("%d containers: admitted without an error but %s not rewritten", n, c.Name)
			}
		}
		return true
	}
	if !fits(minRewritten) {
		t.Fatalf("a pod of %d containers is past the API server's CEL cost limits", minRewritten)
	}
	lo, hi := minRewritten, 2*minRewritten
	for fits(hi) {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	_, err = pol.admit(t, request{op: admission.Create, namespace: "team", pod: widePod(hi)})
	t.Logf("largest pod rewritten within the cost limits: %d containers; at %d: %.200s", lo, hi, err)
}
