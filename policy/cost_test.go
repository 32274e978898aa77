package policy

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/pullthrough/pullthrough/config"
)

// minRewritten is how many containers of common references (widePod) one
// pod may have, at least, and still be rewritten whole: the floor.
const minRewritten = 100

// widePod is a pod of n containers, each with a distinct public image.
func widePod(n int) *corev1.Pod {
	return podOfImages(n, func(i int) string { return fmt.Sprintf("ghcr.io/acme/app-%d:1.2.3", i) })
}

// longPod is widePod with references near the grammar's limits: a name of
// 250 characters, a 128-character tag and a digest, the costliest a
// reference can be to decide.
func longPod(n int) *corev1.Pod {
	return podOfImages(n, func(i int) string {
		name := fmt.Sprintf("ghcr.io/acme/%d/", i)
		name += strings.Repeat("a", 250-len(name))
		return name + ":" + strings.Repeat("t", 128) + "@sha256:" + strings.Repeat("0", 64)
	})
}

// podOfImages is a pod of n containers, container i running image(i).
func podOfImages(n int, image func(int) string) *corev1.Pod {
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf("c%d=%s", i, image(i)))
	}
	return podOf(cs, nil, nil)
}

// TestCostLimit measures the largest pod the policy rewrites within the API
// server's cost limits (per call and per policy), requires at least
// minRewritten containers of common references and GuaranteedImages of the
// costliest, and pins what happens beyond: the patcher fails,
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
	fitsPod := func(n int, p *corev1.Pod) bool {
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
	fits := func(n int) bool { return fitsPod(n, widePod(n)) }
	if !fitsPod(GuaranteedImages, longPod(GuaranteedImages)) {
		t.Fatalf("a pod of %d containers with the longest references is past the API server's CEL cost limits", GuaranteedImages)
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
