package resolve

import (
	"context"
	"testing"
)

// countingVerifier answers served for every image and counts the questions.
type countingVerifier map[Image]int

func (c countingVerifier) Verify(_ context.Context, namespace, image string) Result {
	c[Image{namespace, image}]++
	return Result{Status: StatusServed}
}

// TestPreflightAsksOnce: an image named by many containers is one question per
// namespace, since another namespace has other pull secrets.
func TestPreflightAsksOnce(t *testing.T) {
	t.Parallel()
	a, b := Image{"shop", "proxy/library/nginx:1"}, Image{"trial", "proxy/library/nginx:1"}
	v := countingVerifier{}
	results := Preflight(t.Context(), v, []Image{a, a, b, a})
	if len(results) != 2 || results[a].Status != StatusServed || results[b].Status != StatusServed {
		t.Errorf("results = %v, want %v and %v served", results, a, b)
	}
	if v[a] != 1 || v[b] != 1 {
		t.Errorf("questions = %v, want one per namespace and image", v)
	}
}
