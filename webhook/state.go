package webhook

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Routing is the webhook's view of one config in force: the config and its
// Rewriter (a liveconfig.Snapshot's) and what the handler derives from them
// once, rather than on every request. It is never modified after it is
// stored.
type Routing struct {
	// Config is the config as loaded; the handler reads its namespaces, mode
	// and pull secrets, the prober its proxyHealth.
	Config *config.Config
	// Rewriter routes images as the config says (enforce, or audit mode).
	Rewriter *rewrite.Rewriter
	// audit, unhealthy and noPullSecret are Rewriter withholding for the
	// audit path, for a proxy outage and for a namespace without the pull
	// secrets.
	audit, unhealthy, noPullSecret *rewrite.Rewriter
	// ProxyClient sends the proxy probes; it trusts proxyHealth.caBundle besides
	// the system roots. Nil without proxyHealth.
	ProxyClient *http.Client
	// served asks the proxy whether it serves a rewritten reference; nil
	// while servedCheck is off.
	served *servedCheck
	// scoped: some mirror applies only in some namespaces; byLabels: some
	// has a namespaceSelector, so a request needs its namespace's labels.
	scoped, byLabels bool
}

// newRouting builds what the handler derives from a config in force: the
// withholding rewriters, the proxy probes' client and the served check.
func newRouting(s *liveconfig.Snapshot) (*Routing, error) {
	cfg, rw := s.Config, s.Rewriter
	r := &Routing{
		Config:       cfg,
		Rewriter:     rw,
		audit:        rw.Withholding(rewrite.OutcomeAudit),
		unhealthy:    rw.Withholding(rewrite.OutcomeProxyUnhealthy),
		noPullSecret: rw.Withholding(rewrite.OutcomeNoPullSecret),
		scoped:       cfg.Scoped(),
		byLabels:     cfg.SelectsByLabels(),
	}
	if h := cfg.ProxyHealth; h != nil {
		transport, err := resolve.Transport(h.CABundle, nil)
		if err != nil {
			return nil, fmt.Errorf("proxyHealth.caBundle: %w", err)
		}
		r.ProxyClient = &http.Client{Transport: transport} // each probe has its own deadline
	}
	var err error
	if r.served, err = newServedCheck(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// State is what every request reads: the routing in force, whether the
// proxy is up and, when checked, which namespaces hold the pull secrets. The
// first two are swapped atomically, never locked, because the handler runs
// for every pod in the cluster.
type State struct {
	routing atomic.Pointer[Routing]
	proxyUp atomic.Bool
	// verdicts are the served check's, kept across reloads.
	verdicts *verdicts
	// ambient is the process's own keychain for the checks (UseKeychain).
	ambient authn.Keychain
	// secrets, when set, is asked whether a namespace holds each of the
	// config's imagePullSecrets; nil trusts that it does.
	secrets    PullSecrets
	namespaces NamespaceLabels // set before serving; nil reads no labels
}

// PullSecrets knows which namespaces hold which Secrets, so that no pod is
// pointed at a proxy that needs credentials its namespace lacks (since
// Kubernetes 1.35 the kubelet checks a pod's own credentials even for an
// image already on the node). Package pullsecret's Index is the one in use;
// it answers from memory, so the admission path makes no API call.
type PullSecrets interface {
	// Holds reports whether namespace holds a Secret named name. What is not
	// known yet (the name's first list not done) is false: the image then
	// stays where it was, which is how it would pull without pullthrough.
	Holds(namespace, name string) bool
}

// CheckPullSecrets makes the handlers ask secrets, before pointing a pod at
// the proxy, whether its namespace holds every Secret of the config's
// imagePullSecrets. Call it before the first request.
func (s *State) CheckPullSecrets(secrets PullSecrets) { s.secrets = secrets }

// NewState starts with the routing of live's config in force and the proxy
// assumed up (a rewrite is only withheld after a probe has seen the proxy
// fail), and follows live: each config the Watcher reloads is put in force
// only if its routing builds (follow). An error is the config's: a CA
// bundle or docker config that cannot be read.
func NewState(live *liveconfig.Live) (*State, error) {
	r, err := newRouting(live.Current())
	if err != nil {
		return nil, err
	}
	s := &State{verdicts: newVerdicts()}
	s.routing.Store(r)
	s.proxyUp.Store(true)
	live.Follow(s.follow)
	return s, nil
}

// follow builds the routing of a config about to be put in force, and the
// commit that puts it in force for the next request. A config whose routing
// does not build is refused, and so is a first namespaceSelector in a
// process that watches no namespaces: routing it as if every namespace were
// unlabelled would send tenants' pods to the wrong target.
func (s *State) follow(snap *liveconfig.Snapshot) (func(), error) {
	if snap.Config.SelectsByLabels() && s.namespaces == nil {
		return nil, errNoNamespaceWatch
	}
	r, err := newRouting(snap)
	if err != nil {
		return nil, err
	}
	return func() { s.routing.Store(r) }, nil
}

// Routing returns the routing in force.
func (s *State) Routing() *Routing { return s.routing.Load() }

// proxyIsUp reports the last probe's verdict.
func (s *State) proxyIsUp() bool { return s.proxyUp.Load() }

// setProxyUp records a probe's verdict.
func (s *State) setProxyUp(up bool) { s.proxyUp.Store(up) }

// rewriter is the Rewriter for one request on path p in namespace, with the
// Routing it belongs to and the mode in force (config.Config.ModeIn):
// withholding in audit, while the proxy is down if the config fails open,
// and where the namespace lacks one of the config's pull secrets.
func (s *State) rewriter(p Path, namespace string) (*Routing, *rewrite.Rewriter, config.Mode) {
	r := s.Routing()
	mode := r.Config.ModeIn(p.namespaceMode())
	switch {
	case mode == config.ModeAudit:
		return r, r.audit, mode
	case r.Config.FailOpen() && !s.proxyIsUp():
		return r, r.unhealthy, mode
	case len(missingPullSecrets(r.Config.ImagePullSecrets, namespace, s.secrets)) > 0:
		return r, r.noPullSecret, mode
	default:
		return r, r.Rewriter, mode
	}
}

// missingPullSecrets returns the names that namespace lacks, by secrets;
// none when secrets is nil (nothing is checked).
func missingPullSecrets(names []string, namespace string, secrets PullSecrets) []string {
	if secrets == nil {
		return nil
	}
	var missing []string
	for _, n := range names {
		if !secrets.Holds(namespace, n) {
			missing = append(missing, n)
		}
	}
	return missing
}
