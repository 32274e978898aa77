package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

func TestProxyHealthGate(t *testing.T) {
	t.Parallel()
	var status, probes atomic.Int32
	status.Store(http.StatusOK)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer proxy.Close()

	tests := []struct {
		name     string
		failOpen bool
		status   int
		up       float64
		outcome  rewrite.Outcome
	}{
		{"up", true, http.StatusOK, 1, rewrite.OutcomeRewritten},
		{"auth required counts as up", true, http.StatusUnauthorized, 1, rewrite.OutcomeRewritten},
		{"down, fail open", true, http.StatusServiceUnavailable, 0, rewrite.OutcomeProxyUnhealthy},
		{"down, fail closed rewrites anyway", false, http.StatusServiceUnavailable, 0, rewrite.OutcomeRewritten},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := dir + "/config.yaml"
			cfg := "mirrors: [{source: docker.io, target: proxy.example.internal/dockerhub}]\n" +
				"proxyHealth: {url: '" + proxy.URL + "/v2/', interval: 20ms, failOpen: " + map[bool]string{true: "true", false: "false"}[tt.failOpen] + "}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, path)
			status.Store(int32(tt.status))
			probes.Store(0)
			p := &ProxyProber{State: f.state, Metrics: f.metrics, Client: proxy.Client(), Log: logr.Discard()}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- p.Start(ctx) }()
			// Two probes answered: the first one's verdict is recorded.
			eventually(t, "probe", func() bool { return probes.Load() >= 2 && testutil.ToFloat64(f.metrics.proxyUp) == tt.up })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			_, rw := f.state.rewriter(config.ModeEnforce)
			if got := rw.Rewrite("nginx").Outcome; got != tt.outcome {
				t.Errorf("outcome = %s, want %s", got, tt.outcome)
			}
		})
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config.yaml")
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = ' '
	}
	resp := post(t, f.mutate, big)
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("an 8 MiB body must be refused with 413, got allowed=%v result=%+v", resp.Allowed, resp.Result)
	}
}
