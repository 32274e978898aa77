package webhook

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/util/wait"

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
				"proxyHealth: {url: '" + proxy.URL + "/v2/', interval: 20ms, failureThreshold: 1, successThreshold: 1, failOpen: " + map[bool]string{true: "true", false: "false"}[tt.failOpen] + "}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, path)
			status.Store(int32(tt.status))
			probes.Store(0)
			p := &ProxyProber{State: f.state, Metrics: f.metrics, Log: logr.Discard()}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- p.Start(ctx) }()
			// Two probes answered: the first one's verdict is recorded.
			if err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
				return probes.Load() >= 2 && testutil.ToFloat64(f.metrics.proxyUp) == tt.up, nil
			}); err != nil {
				t.Fatalf("the probe's verdict was not recorded: %v", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			_, rw, _ := f.state.rewriter(PathMutate, "")
			if got := rw.Rewrite("nginx").Outcome; got != tt.outcome {
				t.Errorf("outcome = %s, want %s", got, tt.outcome)
			}
		})
	}
}

// TestProxyHysteresis feeds probe results to the prober: the state changes only
// after failureThreshold (3) consecutive failures or successThreshold (2)
// consecutive successes, and each change is counted once.
func TestProxyHysteresis(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		probes string // u: a probe succeeded, d: it failed
		up     bool
		toDown float64
		toUp   float64
	}{
		{"one failure changes nothing", "d", true, 0, 0},
		{"two failures, then a success, change nothing", "ddudd", true, 0, 0},
		{"three consecutive failures go down", "ddd", false, 1, 0},
		{"one success while down changes nothing", "dddu", false, 1, 0},
		{"two consecutive successes come back", "ddduu", true, 1, 1},
		{"interrupted successes do not", "ddduduu", true, 1, 1},
		{"down twice", "ddduudddd", false, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "testdata/config.yaml")
			cfg := &config.ProxyHealth{FailureThreshold: 3, SuccessThreshold: 2}
			p := &ProxyProber{State: f.state, Metrics: f.metrics, Log: logr.Discard()}
			for _, r := range tt.probes {
				var err error
				if r == 'd' {
					err = errors.New("connection refused")
				}
				p.record(cfg, err)
			}
			if f.state.proxyIsUp() != tt.up || testutil.ToFloat64(f.metrics.proxyUp) != map[bool]float64{true: 1, false: 0}[tt.up] {
				t.Errorf("after %s: up = %v (gauge %v), want %v", tt.probes, f.state.proxyIsUp(), testutil.ToFloat64(f.metrics.proxyUp), tt.up)
			}
			down := testutil.ToFloat64(f.metrics.proxyChanges.WithLabelValues(proxyStateDown))
			up := testutil.ToFloat64(f.metrics.proxyChanges.WithLabelValues(proxyStateUp))
			if down != tt.toDown || up != tt.toUp {
				t.Errorf("after %s: transitions down %v up %v, want %v %v", tt.probes, down, up, tt.toDown, tt.toUp)
			}
			failed := testutil.ToFloat64(f.metrics.proxyProbes.WithLabelValues(probeFailure))
			if want := float64(strings.Count(tt.probes, "d")); failed != want {
				t.Errorf("after %s: %v failed probes counted, want %v", tt.probes, failed, want)
			}
		})
	}
}

// TestProxyCABundle probes a TLS proxy whose certificate only caBundle trusts.
func TestProxyCABundle(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer proxy.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, bundle string
		wantErr      string
	}{
		{"trusted through caBundle", "caBundle: " + ca, ""},
		{"private CA without caBundle", "", "certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			text := "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: '" + proxy.URL + "/v2/'"
			if tt.bundle != "" {
				text += ", " + tt.bundle
			}
			if err := os.WriteFile(path, []byte(text+"}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, path)
			err := (&ProxyProber{State: f.state, Metrics: f.metrics, Log: logr.Discard()}).probe(t.Context(), f.state.Routing())
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("probe error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	missing := filepath.Join(dir, "missing.crt")
	_, err := newTestState(&config.Config{Mirrors: []rewrite.Mirror{{Source: "docker.io", Target: "p.example/x"}},
		ProxyHealth: &config.ProxyHealth{URL: proxy.URL, CABundle: missing}})
	if err == nil || !strings.Contains(err.Error(), "proxyHealth.caBundle") || !strings.Contains(err.Error(), missing) {
		t.Errorf("a missing CA bundle: err = %v, want one naming proxyHealth.caBundle and %s", err, missing)
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
