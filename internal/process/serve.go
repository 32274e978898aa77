package process

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pullthrough/pullthrough/internal/metricsauth"
)

// ServerTLS is the TLS of the webhook and the secure metrics servers. HTTP/2
// stays off unless asked for: the HTTP/2 Rapid Reset and Stream Cancellation
// CVEs (GHSA-qppj-fm5r-hxr3, GHSA-4374-p667-p6c8) are why kubebuilder
// scaffolds disable it, and neither the API server nor Prometheus needs
// more than HTTP/1.1.
func ServerTLS(enableHTTP2 bool) func(*tls.Config) {
	return func(c *tls.Config) {
		c.MinVersion = tls.VersionTLS12
		if !enableHTTP2 {
			c.NextProtos = []string{"http/1.1"}
		}
	}
}

// ServeMetrics adds the /metrics server on addr, unless addr is "0". A
// secure one serves HTTPS (a self-signed certificate made at start) and
// asks the API server of p.Kube about every scrape (metricsauth).
func (p *Process) ServeMetrics(addr string, secure bool) error {
	if addr == "0" {
		return nil
	}
	opts := metricsserver.Options{BindAddress: addr}
	var (
		rc     *rest.Config
		client *http.Client
	)
	if secure {
		var err error
		if rc, err = p.Kube.Config(); err != nil {
			return fmt.Errorf("--metrics-secure: %w", err)
		}
		if client, err = rest.HTTPClientFor(rc); err != nil {
			return fmt.Errorf("--metrics-secure: %w", &KubeconfigError{What: p.Kube.what, Err: err})
		}
		opts.SecureServing = true
		opts.FilterProvider = p.reviewScrapes
		opts.TLSOpts = []func(*tls.Config){ServerTLS(false)}
	}
	ms, err := metricsserver.NewServer(opts, rc, client)
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	p.Add(ms)
	return nil
}

// reviewScrapes is the FilterProvider of a secure metrics server: each
// request's token and grant reviewed by the API server (metricsauth says
// why not controller-runtime's filters package).
func (p *Process) reviewScrapes(rc *rest.Config, client *http.Client) (metricsserver.Filter, error) {
	cs, err := kubernetes.NewForConfigAndClient(rc, client)
	if err != nil {
		return nil, fmt.Errorf("--metrics-secure: %w", err)
	}
	r, err := metricsauth.New(cs, p.Registry)
	if err != nil {
		return nil, fmt.Errorf("--metrics-secure: register metrics: %w", err)
	}
	return r.Filter, nil
}

// Probes serves /healthz (the process runs) and /readyz (every check in
// ready passes) on addr until ctx ends.
func Probes(addr string, ready map[string]healthz.Checker) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.Handle("/healthz", http.StripPrefix("/healthz", &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}))
		mux.Handle("/readyz", http.StripPrefix("/readyz", &healthz.Handler{Checks: ready}))
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				ctrl.Log.WithName("health").Error(err, "shutting down the health probes")
			}
		}()
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("health probes on %s: %w", addr, err)
		}
		return nil
	})
}
