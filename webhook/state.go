package webhook

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Routing is one loaded config and the rewriters built from it once, rather
// than on every request. It is never modified after it is stored.
type Routing struct {
	// Config is the config as loaded; the handler reads its namespaces, mode
	// and pull secrets, the prober its proxyHealth.
	Config *config.Config
	// Rewriter routes images as the config says (enforce, or audit mode).
	Rewriter *rewrite.Rewriter
	// audit and unhealthy are Rewriter withholding for the audit path and
	// for a proxy outage.
	audit, unhealthy *rewrite.Rewriter
	// ProxyClient sends the proxy probes; it trusts proxyHealth.caBundle besides
	// the system roots. Nil without proxyHealth.
	ProxyClient *http.Client
	// scoped: some mirror applies only in some namespaces; byLabels: some
	// has a namespaceSelector, so a request needs its namespace's labels.
	scoped, byLabels bool
}

// NewRouting builds the rewriters of a loaded config.
func NewRouting(cfg *config.Config) (*Routing, error) {
	rw, err := cfg.Rewriter()
	if err != nil {
		return nil, err
	}
	r := &Routing{
		Config:    cfg,
		Rewriter:  rw,
		audit:     rw.Withholding(rewrite.OutcomeAudit),
		unhealthy: rw.Withholding(rewrite.OutcomeProxyUnhealthy),
		scoped:    cfg.Scoped(),
		byLabels:  cfg.SelectsByLabels(),
	}
	if h := cfg.ProxyHealth; h != nil {
		transport, err := resolve.Transport(h.CABundle, nil)
		if err != nil {
			return nil, fmt.Errorf("proxyHealth.caBundle: %w", err)
		}
		r.ProxyClient = &http.Client{Transport: transport} // each probe has its own deadline
	}
	return r, nil
}

// State is what every request reads: the routing in force and whether the
// proxy is up. Both are swapped atomically, never locked, because the
// handler runs for every pod in the cluster.
type State struct {
	routing    atomic.Pointer[Routing]
	proxyUp    atomic.Bool
	namespaces NamespaceLabels // set before serving; nil reads no labels
}

// NewState starts with r and the proxy assumed up: a rewrite is only
// withheld after a probe has seen the proxy fail.
func NewState(r *Routing) *State {
	s := &State{}
	s.routing.Store(r)
	s.proxyUp.Store(true)
	return s
}

// Routing returns the routing in force.
func (s *State) Routing() *Routing { return s.routing.Load() }

// setRouting replaces the routing in force for the next request.
func (s *State) setRouting(r *Routing) { s.routing.Store(r) }

// ProxyUp reports the last probe's verdict.
func (s *State) ProxyUp() bool { return s.proxyUp.Load() }

// setProxyUp records a probe's verdict.
func (s *State) setProxyUp(up bool) { s.proxyUp.Store(up) }

// rewriter is the Rewriter for one request on path p, with the Routing it
// belongs to and the mode in force (config.Config.ModeIn): withholding in
// audit, and while the proxy is down if the config fails open.
func (s *State) rewriter(p Path) (*Routing, *rewrite.Rewriter, config.Mode) {
	r := s.Routing()
	mode := r.Config.ModeIn(p.namespaceMode())
	switch {
	case mode == config.ModeAudit:
		return r, r.audit, mode
	case r.Config.FailOpen() && !s.ProxyUp():
		return r, r.unhealthy, mode
	default:
		return r, r.Rewriter, mode
	}
}
