package kit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Timeout bounds every wait of Eventually and Poll: generous, since a wait
// ends as soon as its check passes and only a failure waits it out, on a
// machine the suites share with builds.
const Timeout = 2 * time.Minute

// pollInterval is how often a check runs: fine enough for the latencies the
// fault tests report.
const pollInterval = 50 * time.Millisecond

// Poll runs check until it returns nil, every 50 ms for up to Timeout, and
// returns nil or an error holding check's last one. It is Eventually for a
// goroutine other than the test's, where t.Fatal must not be called.
func Poll(ctx context.Context, check func(context.Context) error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, pollInterval, Timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil {
		// With immediate, check ran at least once: last is not nil.
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return nil
}

// Eventually runs check until it returns nil, and fails t (Fatal) with what
// it waited for and check's last error if that does not happen within
// Timeout. check runs on the test's goroutine and may fail t itself.
func Eventually(t testing.TB, what string, check func(context.Context) error) {
	t.Helper()
	if err := Poll(t.Context(), check); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
