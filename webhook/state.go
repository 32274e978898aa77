package webhook

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Config is one loaded configuration: the routing and the per-pod settings
// that come with it. It is never modified after it is stored.
type Config struct {
	// Rewriter routes images as the config says (enforce, or audit mode).
	Rewriter *rewrite.Rewriter
	// audit and unhealthy are Rewriter withholding for the audit path and
	// for a proxy outage, built once here rather than on every request.
	audit, unhealthy *rewrite.Rewriter
	// Audit is the config's own mode: audit changes nothing on either path.
	Audit bool
	// PullSecrets are added to pods whose images point at the proxy.
	PullSecrets []string
	// FailOpen leaves images alone while the proxy is reported down.
	FailOpen bool
	// ProxyURL is probed every ProxyInterval; empty means no probe.
	ProxyURL string
	// ProxyInterval is the time between two probes.
	ProxyInterval time.Duration
	// ProxyClient sends the probes; it trusts proxyHealth.caBundle besides the system roots.
	ProxyClient *http.Client
	// FailureThreshold consecutive failed probes mark the proxy down; SuccessThreshold
	// consecutive successes mark it up again.
	FailureThreshold, SuccessThreshold int
}

// NewConfig builds a Config from a loaded rewrite.Config.
func NewConfig(cfg *rewrite.Config) (*Config, error) {
	r, err := rewrite.New(cfg)
	if err != nil {
		return nil, err
	}
	c := &Config{
		Rewriter:    r,
		audit:       r.Withholding(rewrite.OutcomeAudit),
		unhealthy:   r.Withholding(rewrite.OutcomeProxyUnhealthy),
		Audit:       cfg.Mode == rewrite.ModeAudit,
		PullSecrets: cfg.ImagePullSecrets,
	}
	if h := cfg.ProxyHealth; h != nil {
		c.ProxyURL, c.ProxyInterval = h.URL, h.Interval.Duration
		c.FailOpen = h.FailOpen == nil || *h.FailOpen
		c.FailureThreshold, c.SuccessThreshold = h.FailureThreshold, h.SuccessThreshold
		transport, err := resolve.Transport(h.CABundle, nil)
		if err != nil {
			return nil, fmt.Errorf("proxyHealth.caBundle: %w", err)
		}
		c.ProxyClient = &http.Client{Transport: transport, Timeout: probeTimeout}
	}
	return c, nil
}

// State is what every request reads: the current config and whether the
// proxy is up. Both are swapped atomically, never locked, because the
// handler runs for every pod in the cluster.
type State struct {
	config  atomic.Pointer[Config]
	proxyUp atomic.Bool
}

// NewState starts with cfg and the proxy assumed up: a rewrite is only
// withheld after a probe has seen the proxy fail.
func NewState(cfg *Config) *State {
	s := &State{}
	s.config.Store(cfg)
	s.proxyUp.Store(true)
	return s
}

// Config returns the config in force.
func (s *State) Config() *Config { return s.config.Load() }

// SetConfig replaces the config in force for the next request.
func (s *State) SetConfig(c *Config) { s.config.Store(c) }

// ProxyUp reports the last probe's verdict.
func (s *State) ProxyUp() bool { return s.proxyUp.Load() }

// SetProxyUp records a probe's verdict.
func (s *State) SetProxyUp(up bool) { s.proxyUp.Store(up) }

// rewriter is the Rewriter for one request: withholding on the audit path,
// and while the proxy is down if the config fails open.
func (s *State) rewriter(audit bool) (*Config, *rewrite.Rewriter) {
	c := s.Config()
	switch {
	case audit:
		return c, c.audit
	case c.FailOpen && !s.ProxyUp():
		return c, c.unhealthy
	default:
		return c, c.Rewriter
	}
}
