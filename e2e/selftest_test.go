package e2e

import (
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/selftest"
)

// selftestRun runs the selftest with testdata/config.yaml, as the webhook of startEnv.
func selftestRun(t *testing.T, e *env, targets []selftest.Target) ([]selftest.Check, error) {
	t.Helper()
	cfg, err := config.Load("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return selftest.Run(t.Context(), e.cluster.Config(), cfg, "pullthrough-selftest", targets)
}

// selftestPasses runs what `helm test` runs against the real API server: a
// dry-run Pod in an enforce and an audit namespace comes back proxied and
// annotated, and annotated only.
func selftestPasses(t *testing.T, e *env) {
	checks, err := selftestRun(t, e, []selftest.Target{{Namespace: "shop", Mode: config.ModeEnforce}, {Namespace: "audited", Mode: config.ModeAudit}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{hub + "pullthrough-selftest/probe:1", "docker.io/pullthrough-selftest/probe:1"}
	for i, c := range checks {
		if c.Got != want[i] {
			t.Errorf("%s: got %s, want %s", c.Namespace, c.Got, want[i])
		}
	}
}

// selftestFails checks that the selftest can fail: a namespace the webhook
// never sees (labelled off), a namespace expected on the wrong path, and,
// after the webhook is stopped, any namespace.
func selftestFails(t *testing.T, e *env, targets ...selftest.Target) {
	checks, err := selftestRun(t, e, targets)
	if err == nil || !strings.Contains(err.Error(), "the webhook did not do what the config says") {
		t.Fatalf("selftest of %v: error %v, want the webhook's failure (checks %+v)", targets, err, checks)
	}
}
