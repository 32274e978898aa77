package migrate

import (
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/resolve"
)

// TestWarmWarning: only digest references the proxy did not find point to
// `pullthrough warm`; a tag not found, or a digest refused for credentials,
// is another problem that warming would not fix.
func TestWarmWarning(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	notFound := resolve.Result{Status: resolve.StatusNotFound}
	for _, tc := range []struct {
		name    string
		results map[resolve.Image]resolve.Result
		want    string // "" for no warning
	}{
		{"digest not found", map[resolve.Image]resolve.Result{{Namespace: "shop", Reference: "p.internal/a:1" + digest}: notFound},
			"1 digest references not found by the proxy (shop/p.internal/a:1" + digest + "): " + WarmHint},
		{"tag not found", map[resolve.Image]resolve.Result{{Namespace: "shop", Reference: "p.internal/a:1"}: notFound}, ""},
		{"digest unauthorized", map[resolve.Image]resolve.Result{{Namespace: "shop", Reference: "p.internal/a" + digest}: {Status: resolve.StatusUnauthorized}}, ""},
		{"digest served", map[resolve.Image]resolve.Result{{Namespace: "shop", Reference: "p.internal/a" + digest}: {Status: resolve.StatusServed}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := warmWarning(tc.results); got != tc.want {
				t.Errorf("warmWarning = %q, want %q", got, tc.want)
			}
			if tc.want != "" && !strings.Contains(tc.want, "pullthrough warm") {
				t.Error("the warning does not name pullthrough warm")
			}
		})
	}
}
