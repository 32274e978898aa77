package policy

import (
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestGlobRegexp holds each translated glob to path.Match on names chosen
// to sit on either side of it, and pins the globs that are refused.
func TestGlobRegexp(t *testing.T) {
	t.Parallel()
	names := []string{"docker.io/library/busybox", "docker.io/library/busybox:1", "docker.io/library/busybox/x", "ghcr.io/b/x",
		"ghcr.io/d/x", "ghcr.io/ab/y:1", "b/x", "a-b", "a]b", "a\\b", "x", "", "é/x", "docker.io/library/te*st"}
	for _, tc := range []struct {
		name, glob string
		refused    bool // inexpressible
	}{
		{"star stops at a slash", "docker.io/library/busybox*", false},
		{"question mark", "docker.io/library/busybo?", false},
		{"range", "ghcr.io/[a-c]*/x", false},
		{"negated class listing the slash", "ghcr.io/[^/d]*/*", false},
		{"reversed range matches nothing", "ghcr.io/[z-a]/x", false},
		{"escapes", `docker.io/library/te\*st`, false},
		{"escaped bracket in a class", `a[\]]b`, false},
		{"non-ASCII literal", "é/*", false},
		{"negated class without the slash", "*[^a]*x", true},
		{"range over the slash", "b[!-0]x", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			re, err := globRegexp(tc.glob, false)
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), ": "+inexpressible+": ") {
					t.Fatalf("want %q, got %v", inexpressible, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			compiled := regexp.MustCompile("^(?:" + re + ")$")
			for _, n := range names {
				want, _ := path.Match(tc.glob, n)
				if got := compiled.MatchString(n); got != want {
					t.Errorf("%q on %q: regexp %v, path.Match %v", tc.glob, n, got, want)
				}
			}
		})
	}
}
