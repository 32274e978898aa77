package webhook

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// guardPod has two containers; guardSwapped is the same pod with them in the
// other order, as an index computed on one and applied to the other sees it.
const (
	guardPod     = `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"nginx:1.27"},{"name":"sidecar","image":"docker.io/envoyproxy/envoy:v1"}]}}`
	guardSwapped = `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"sidecar","image":"docker.io/envoyproxy/envoy:v1"},{"name":"app","image":"nginx:1.27"}]}}`
)

func guardChange(index int) podspec.Change {
	return podspec.Change{Location: containers, Index: index, Name: "app", Old: "nginx:1.27",
		Result: rewrite.Result{Image: "proxy.example.internal/dockerhub/library/nginx:1.27", Outcome: rewrite.OutcomeRewritten}}
}

// TestMisalignedIndexFailsSafe: a change whose index does not hold the
// container and image it was decided for is never written. The handler
// refuses to build such a patch (and then allows the pod unchanged, counted);
// and the patch it builds, applied by the API server's JSON patch library to
// an object whose containers moved, fails on its test instead of writing
// another container.
func TestMisalignedIndexFailsSafe(t *testing.T) {
	t.Parallel()
	var p pod
	if err := decodePod([]byte(guardPod), &p); err != nil {
		t.Fatal(err)
	}
	misaligned := &podPatch{images: []podspec.Change{guardChange(1)}}
	if ops, err := misaligned.ops(&p); err == nil {
		t.Fatalf("a misaligned index was patched: %v", ops)
	}
	aligned := &podPatch{images: []podspec.Change{guardChange(0)}}
	ops, err := aligned.ops(&p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := jsonpatch.DecodePatch(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := patch.Apply([]byte(guardPod)); err != nil {
		t.Fatalf("the patch does not apply to the pod it was built for: %v", err)
	}
	out, err := patch.Apply([]byte(guardSwapped))
	if err == nil {
		t.Fatalf("the patch wrote a container it was not decided for: %s", out)
	}
	if !strings.Contains(err.Error(), "test") {
		t.Errorf("the patch failed on %v, want its test operation", err)
	}
}
