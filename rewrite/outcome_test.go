package rewrite

import "testing"

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
