package webhook

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// Drain is a graceful shutdown in two steps, so that a rolling restart
// makes the API server fail open on no request. When the process is told
// to stop, readiness drops at once (the Service, or any balancer, stops
// sending new connections) and every answer closes its connection (the
// API server's kept-alive connections move to a replica that stays); only
// after Delay does the server stop accepting and drain the requests in
// flight. Without the delay, connections that arrive or are reused between
// the signal and the endpoint update are refused, and those pods are
// admitted unchanged.
type Drain struct {
	// Delay is how long the server keeps answering after the signal.
	Delay    time.Duration
	draining atomic.Bool
}

// Wrap makes h close each connection once the drain has begun.
func (d *Drain) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// After returns a context that ends Delay after ctx ends, marking the
// drain begun when ctx ends: the serving pieces run on it.
func (d *Drain) After(ctx context.Context) context.Context {
	delayed, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		<-ctx.Done()
		d.draining.Store(true)
		t := time.NewTimer(d.Delay)
		defer t.Stop()
		<-t.C
		cancel()
	}()
	return delayed
}

// Ready is a readiness check: it fails once the drain has begun.
func (d *Drain) Ready(*http.Request) error {
	if d.draining.Load() {
		return errors.New("shutting down: draining in-flight requests")
	}
	return nil
}
