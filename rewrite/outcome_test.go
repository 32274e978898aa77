package rewrite

import (
	"strings"
	"testing"
)

// TestThroughProxy pins which outcomes pull from the proxy: the two a
// preflight checks and the webhook adds pull secrets for; a withheld rewrite
// (audit, proxy-unhealthy, no-pull-secret) still pulls from where it was.
func TestThroughProxy(t *testing.T) {
	t.Parallel()
	for _, o := range Outcomes {
		want := o == OutcomeRewritten || o == OutcomeAlreadyProxied
		if got := o.ThroughProxy(); got != want {
			t.Errorf("%s.ThroughProxy() = %v, want %v", o, got, want)
		}
	}
}

// TestWithheld: a rewrite withheld after the fact (not-served, decided by
// asking the proxy) is exactly what a withholding Rewriter decides, so the
// counted registry, the proposal and the image left as written agree with
// audit and proxy-unhealthy; a result that is no rewrite is kept as it is.
func TestWithheld(t *testing.T) {
	t.Parallel()
	rw, err := New(Rules{Mirrors: []Mirror{{Source: "docker.io", Target: "proxy.example/hub"}}, ExcludeImages: []string{"docker.io/library/busybox*"}})
	if err != nil {
		t.Fatal(err)
	}
	withholding := rw.Withholding(OutcomeNotServed)
	for _, image := range []string{
		"nginx", "nginx:1.27@sha256:" + strings.Repeat("a", 64), // rewritten
		"proxy.example/hub/library/nginx:1", // already proxied
		"busybox:1",                         // excluded
		"ghcr.io/acme/app:1",                // unrouted public
		"UPPER",                             // unparseable
	} {
		got, want := rw.Rewrite(image).Withheld(image, OutcomeNotServed), withholding.Rewrite(image)
		if got != want {
			t.Errorf("Rewrite(%q).Withheld = %+v, want %+v", image, got, want)
		}
	}
}
