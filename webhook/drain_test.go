package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDrain: before the signal nothing changes; after it readiness fails
// and answers close their connection, while the serving context lives on
// until the delay has passed.
func TestDrain(t *testing.T) {
	t.Parallel()
	d := &Drain{Delay: 0}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := d.Wrap(ok)
	answer := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mutate-pods", nil))
		return rec
	}
	signal, stop := context.WithCancel(context.Background())
	serving := d.After(signal)
	if err := d.Ready(nil); err != nil {
		t.Fatalf("ready before the signal: %v", err)
	}
	if got := answer().Header().Get("Connection"); got != "" {
		t.Fatalf("Connection %q before the signal, want none (keep-alive)", got)
	}
	if serving.Err() != nil {
		t.Fatal("the serving context ended before the signal")
	}
	stop()
	<-serving.Done() // ends once the (zero) delay has passed
	if err := d.Ready(nil); err == nil || !strings.Contains(err.Error(), "draining") {
		t.Fatalf("ready after the signal: %v, want a draining error", err)
	}
	if got := answer().Header().Get("Connection"); got != "close" {
		t.Fatalf("Connection %q while draining, want close", got)
	}
}
