package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"github.com/pullthrough/pullthrough/config"
)

// idleRecheck is how often the prober looks again at a config that has no
// proxyHealth section, in case a reload adds one.
const idleRecheck = 10 * time.Second

// ProxyProber probes the proxy's registry endpoint on the configured interval
// and, with hysteresis, records whether it is up in the State and in
// pullthrough_proxy_up: the state changes only after FailureThreshold
// consecutive failures or SuccessThreshold consecutive successes.
type ProxyProber struct {
	// State receives each verdict and gives the config's URL, interval, client
	// and thresholds.
	State *State
	// Metrics shows the state as pullthrough_proxy_up and counts its changes.
	Metrics *Metrics
	// Log reports each change of state.
	Log logr.Logger

	// failures and successes count consecutive probe results; only Start's
	// goroutine touches them.
	failures, successes int
}

// Start probes until ctx ends; it satisfies controller-runtime's Runnable.
func (p *ProxyProber) Start(ctx context.Context) error {
	for {
		routing := p.State.Routing()
		health := routing.Config.ProxyHealth
		wait := idleRecheck
		if health == nil {
			p.failures, p.successes = 0, 0
			p.set(true, nil)
		} else {
			wait = health.Interval.Duration
			err := p.probe(ctx, routing)
			if ctx.Err() != nil {
				return nil // shutting down: a cancelled probe says nothing of the proxy
			}
			p.record(health, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// probeTimeout bounds one probe; a proxy slower than this is as good as down
// for pulls.
const probeTimeout = 5 * time.Second

// probe asks the registry API once; nil means the proxy is serving: 2xx, or
// 401 (the registry API's "authenticate first").
func (p *ProxyProber) probe(ctx context.Context, r *Routing) error {
	url := r.Config.ProxyHealth.URL
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := r.ProxyClient.Do(req)
	if err != nil {
		return err
	}
	// Drained and closed so the connection is reused by the next probe.
	_, drainErr := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := errors.Join(drainErr, resp.Body.Close()); err != nil {
		return fmt.Errorf("GET %s: reading the answer: %w", url, err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusUnauthorized {
		return nil
	}
	return fmt.Errorf("GET %s: %s", url, resp.Status)
}

// record counts one probe result and changes the state once a threshold of
// consecutive results against it is reached.
func (p *ProxyProber) record(cfg *config.ProxyHealth, err error) {
	p.Metrics.countProbe(err)
	up := p.State.proxyIsUp()
	if err == nil {
		p.failures, p.successes = 0, p.successes+1
		if !up && p.successes >= cfg.SuccessThreshold {
			p.set(true, nil)
		}
		return
	}
	p.failures, p.successes = p.failures+1, 0
	if !up {
		return
	}
	if p.failures < cfg.FailureThreshold {
		p.Log.Info("proxy probe failed; still up", "error", err.Error(), "consecutiveFailures", p.failures, "failureThreshold", cfg.FailureThreshold)
		return
	}
	p.set(false, err)
}

// set stores the state, and logs and counts a change.
func (p *ProxyProber) set(up bool, err error) {
	if p.State.proxyIsUp() != up {
		if up {
			p.Log.Info("proxy is up; rewriting resumes")
		} else {
			p.Log.Error(err, "proxy is down; images are left alone while failOpen is set")
		}
		p.Metrics.countProxyTransition(up)
	}
	p.State.setProxyUp(up)
	p.Metrics.setProxyUp(up)
}
