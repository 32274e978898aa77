package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// idleRecheck is how often the prober looks again at a config that has no
// proxyHealth section, in case a reload adds one.
const idleRecheck = 10 * time.Second

// ProxyProber probes the proxy's registry endpoint on the configured
// interval and records the verdict in the State and in pullthrough_proxy_up.
type ProxyProber struct {
	// State receives each verdict and gives the config's URL and interval.
	State *State
	// Metrics shows the verdict as pullthrough_proxy_up.
	Metrics *Metrics
	// Client sends the probes (its transport decides TLS trust).
	Client *http.Client
	// Log reports each change of state.
	Log logr.Logger
}

// Start probes until ctx ends; it satisfies controller-runtime's Runnable.
func (p *ProxyProber) Start(ctx context.Context) error {
	for {
		health := p.State.Routing().Config.ProxyHealth
		wait := idleRecheck
		if health == nil {
			p.record(true, nil)
		} else {
			wait = health.Interval.Duration
			up, err := p.probe(ctx, health.URL)
			if ctx.Err() != nil {
				return nil // shutting down: a cancelled probe says nothing of the proxy
			}
			p.record(up, err)
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

// probe asks the registry API once. 2xx, and 401 (the registry API's
// "authenticate first"), mean the proxy is serving.
func (p *ProxyProber) probe(ctx context.Context, url string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return false, err
	}
	// Drained and closed so the connection is reused by the next probe.
	_, drainErr := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := errors.Join(drainErr, resp.Body.Close()); err != nil {
		return false, fmt.Errorf("GET %s: reading the answer: %w", url, err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusUnauthorized {
		return true, nil
	}
	return false, fmt.Errorf("GET %s: %s", url, resp.Status)
}

// record stores a verdict and logs each change of state.
func (p *ProxyProber) record(up bool, err error) {
	if was := p.State.ProxyUp(); was != up {
		if up {
			p.Log.Info("proxy is up; rewriting resumes")
		} else {
			p.Log.Error(err, "proxy is down; images are left alone while failOpen is set")
		}
	}
	p.State.SetProxyUp(up)
	p.Metrics.setProxyUp(up)
}
