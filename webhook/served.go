package webhook

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-containerregistry/pkg/authn"
	"golang.org/x/sync/singleflight"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Verdict is what is known of one rewritten reference: whether the proxy
// serves it.
type Verdict uint8

// The verdicts. VerdictUnknown is a check that got no answer (401 without
// credentials, 5xx, no connection): it says nothing of the reference, so the
// image is rewritten as before the check existed, and the proxy-wide probe
// (proxyHealth) is what leaves images direct while the proxy is down.
const (
	VerdictServed Verdict = iota + 1
	VerdictNotServed
	VerdictUnknown
)

// Check results, the "result" label of pullthrough_served_checks_total.
const (
	checkServed    = "served"
	checkNotServed = "not-served"
	checkError     = "error"
	// checkTimeout: an admission stopped waiting for a check at its budget;
	// the check goes on and is counted again when it ends.
	checkTimeout = "timeout"
)

var checkResults = []string{checkServed, checkNotServed, checkError, checkTimeout}

// verdictOf judges a check's answer: only the proxy saying it has no such
// manifest (404) is a refusal.
func verdictOf(r resolve.Result) (Verdict, string) {
	switch r.Status {
	case resolve.StatusServed:
		return VerdictServed, checkServed
	case resolve.StatusNotFound:
		return VerdictNotServed, checkNotServed
	default:
		return VerdictUnknown, checkError
	}
}

// servedCheck is one Routing's way to ask the proxy: its settings, the
// transport (TLS to every mirror target's host, the CA bundle) and the logins
// of servedCheck.dockerConfig.
type servedCheck struct {
	config.ServedCheck
	transport http.RoundTripper
	keychain  authn.Keychain
}

// newServedCheck builds the check of cfg, or nil when it is off. Errors name
// the field.
func newServedCheck(cfg *config.Config) (*servedCheck, error) {
	sc := cfg.Served()
	if !*sc.Enabled {
		return nil, nil
	}
	ca, field := sc.CABundle, "servedCheck.caBundle"
	if ca == "" && cfg.ProxyHealth != nil {
		ca, field = cfg.ProxyHealth.CABundle, "proxyHealth.caBundle"
	}
	hosts := make([]string, 0, len(cfg.Mirrors))
	for _, m := range cfg.Mirrors {
		host, _ := rewrite.SplitPrefix(m.Target)
		hosts = append(hosts, host)
	}
	transport, err := resolve.Transport(ca, hosts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	var keychain authn.Keychain = resolve.Credentials{} // anonymous
	if sc.DockerConfig != "" {
		keychain, err = resolve.DockerConfig(sc.DockerConfig)
		if errors.Is(err, fs.ErrNotExist) {
			keychain, err = &mountedLogin{path: sc.DockerConfig}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("servedCheck.dockerConfig: %w", err)
		}
	}
	return &servedCheck{ServedCheck: sc, transport: transport, keychain: keychain}, nil
}

// mountedLogin is servedCheck.dockerConfig's keychain while its file does
// not exist: the chart mounts the proxy's pull secret optional, so that a
// webhook installed before the Secret starts all the same. Until kubelet
// writes the file, checks are anonymous (a proxy that answers 401 gives no
// verdict: the image is rewritten, as without the check); the first check
// after it reads the login and keeps it.
type mountedLogin struct {
	path   string
	mu     sync.Mutex
	loaded authn.Keychain
}

// Resolve implements authn.Keychain.
func (m *mountedLogin) Resolve(r authn.Resource) (authn.Authenticator, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded == nil {
		k, err := resolve.DockerConfig(m.path)
		if errors.Is(err, fs.ErrNotExist) {
			return authn.Anonymous, nil
		}
		if err != nil {
			return nil, fmt.Errorf("servedCheck.dockerConfig: %w", err)
		}
		m.loaded = k
	}
	return m.loaded.Resolve(r)
}

// ttl is how long a verdict is kept.
func (sc *servedCheck) ttl(v Verdict) time.Duration {
	if v == VerdictServed {
		return sc.ServedTTL.Duration
	}
	return sc.NotServedTTL.Duration
}

// verdicts is the process's record of per-reference verdicts: bounded by
// entry count (least recently used out first), each entry expiring, and one
// check in flight per reference however many requests ask (singleflight).
// It outlives config reloads: a reference's verdict does not depend on the
// rest of the config.
type verdicts struct {
	mu      sync.Mutex
	entries map[string]*list.Element // of *verdictEntry
	order   *list.List               // front: most recently used
	flights singleflight.Group
}

type verdictEntry struct {
	ref     string
	verdict Verdict
	expires time.Time
}

func newVerdicts() *verdicts {
	return &verdicts{entries: map[string]*list.Element{}, order: list.New()}
}

// lookup returns ref's verdict unless it is unknown or expired.
func (v *verdicts) lookup(ref string, now time.Time) (Verdict, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[ref]
	if !ok {
		return 0, false
	}
	entry := e.Value.(*verdictEntry)
	if !now.Before(entry.expires) {
		v.order.Remove(e)
		delete(v.entries, ref)
		return 0, false
	}
	v.order.MoveToFront(e)
	return entry.verdict, true
}

// record stores ref's verdict until expires, keeping at most max entries.
func (v *verdicts) record(ref string, verdict Verdict, expires time.Time, max int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.entries[ref]; ok {
		entry := e.Value.(*verdictEntry)
		entry.verdict, entry.expires = verdict, expires
		v.order.MoveToFront(e)
	} else {
		v.entries[ref] = v.order.PushFront(&verdictEntry{ref: ref, verdict: verdict, expires: expires})
	}
	for v.order.Len() > max {
		oldest := v.order.Back()
		v.order.Remove(oldest)
		delete(v.entries, oldest.Value.(*verdictEntry).ref)
	}
}

// len is how many verdicts are kept, for the gauge.
func (v *verdicts) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.order.Len()
}

// UseKeychain adds, after servedCheck.dockerConfig's logins, the keychain of
// the process's own credentials to every check: the binary passes Amazon
// ECR's (resolve/ecr, the AWS credentials of the webhook's pod), which this
// package does not import. Call it before serving.
func (s *State) UseKeychain(k authn.Keychain) { s.ambient = k }

// RecordVerdict stores a verdict learnt elsewhere, at checked (the shared
// verdict record that the CLI's checks feed, docs/operations.md), for the
// reference the proxy would be asked about, until the routing's TTL of that
// verdict counted from checked. It does nothing while the served check is off.
func (s *State) RecordVerdict(ref string, v Verdict, checked time.Time) {
	sc := s.Routing().served
	if sc == nil {
		return
	}
	s.verdicts.record(ref, v, checked.Add(sc.ttl(v)), sc.MaxEntries)
}

// Prefill checks ref unless its verdict is known, and returns when it is
// (or ctx ends): the pod informer calls it, one reference at a time, for the
// references of the pods it sees, so the admission of their next replica
// finds the verdict cached. The check is counted and logged as an
// admission's is, and shared with one in flight.
func (s *State) Prefill(ctx context.Context, m *Metrics, ref string) {
	r := s.Routing()
	if r.served == nil {
		return
	}
	if _, ok := s.verdicts.lookup(ref, time.Now()); ok {
		return
	}
	select {
	case <-s.verdicts.flights.DoChan(ref, s.checkFunc(ctx, r, m, ref)):
	case <-ctx.Done():
	}
}

// checkServed asks, for every image of changes the handler rewrote, whether
// the proxy serves the rewritten reference, and leaves as written (outcome
// not-served) each one it does not, and each whose answer did not come within
// the budget when servedCheck.onTimeout is direct. Known verdicts cost a
// lookup; the others are asked all at once, within one budget per request.
func (s *State) checkServed(ctx context.Context, r *Routing, m *Metrics, changes []podspec.Change) {
	sc := r.served
	known := map[string]Verdict{}
	var ask []string
	now := time.Now()
	for _, c := range changes {
		if c.Outcome != rewrite.OutcomeRewritten {
			continue
		}
		if _, seen := known[c.Image]; seen {
			continue
		}
		v, ok := s.verdicts.lookup(c.Image, now)
		if !ok {
			ask = append(ask, c.Image)
		}
		known[c.Image] = v // 0 while being asked
	}
	if len(ask) > 0 {
		budget, cancel := context.WithTimeout(ctx, sc.Budget.Duration)
		answers := make([]Verdict, len(ask))
		var wg sync.WaitGroup
		for i, ref := range ask {
			wg.Go(func() { answers[i] = s.ask(budget, r, m, ref) })
		}
		wg.Wait()
		cancel()
		for i, ref := range ask {
			known[ref] = answers[i]
		}
	}
	for i := range changes {
		c := &changes[i]
		if c.Outcome != rewrite.OutcomeRewritten {
			continue
		}
		v := known[c.Image]
		if v == VerdictNotServed || (v == 0 && sc.OnTimeout == config.ServedOnTimeoutDirect) {
			c.Result = c.Withheld(c.Old, rewrite.OutcomeNotServed)
		}
	}
}

// ask waits for ref's check (one per reference in flight) until ctx ends;
// 0 means it did not answer in time.
func (s *State) ask(ctx context.Context, r *Routing, m *Metrics, ref string) Verdict {
	answer := s.verdicts.flights.DoChan(ref, s.checkFunc(ctx, r, m, ref))
	select {
	case res := <-answer:
		return res.Val.(Verdict)
	case <-ctx.Done():
		m.countCheck(checkTimeout)
		logf.FromContext(ctx).Info("served check did not answer within the budget; it goes on in the background",
			"reference", ref, "budget", r.served.Budget.Duration, "onTimeout", r.served.OnTimeout)
		return 0
	}
}

// checkFunc is one check of ref: detached from the request that started it
// (the check outlives the budget, up to checkTimeout) but with its logger;
// its verdict is recorded, counted, and logged unless served.
func (s *State) checkFunc(ctx context.Context, r *Routing, m *Metrics, ref string) func() (any, error) {
	sc := r.served
	log := logf.FromContext(ctx)
	return func() (any, error) {
		check, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.CheckTimeout.Duration)
		defer cancel()
		keychain := sc.keychain
		if s.ambient != nil {
			keychain = authn.NewMultiKeychain(keychain, s.ambient)
		}
		res := checkOnce(check, sc.transport, keychain, ref)
		v, result := verdictOf(res)
		m.countCheck(result)
		logVerdict(log, ref, v, res.Err)
		s.verdicts.record(ref, v, time.Now().Add(sc.ttl(v)), sc.MaxEntries)
		m.setVerdicts(s.verdicts.len())
		return v, nil
	}
}

// checkOnce asks the proxy about ref once. A panic in the registry client
// becomes a failed check: singleflight would re-raise it in a goroutine of
// its own, where nothing could recover it, and the webhook must never be
// why a pod fails to start.
func checkOnce(ctx context.Context, transport http.RoundTripper, keychain authn.Keychain, ref string) (res resolve.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = resolve.Result{Status: resolve.StatusUnreachable, Err: fmt.Errorf("checking %s: panic: %v", ref, p)}
		}
	}()
	return resolve.NewChecker(transport, keychain).Once().Check(ctx, ref)
}

// logVerdict logs a refusal and a failed check, each once per check (the
// verdict is cached for notServedTTL, so at most once per reference in it).
func logVerdict(log logr.Logger, ref string, v Verdict, err error) {
	switch v {
	case VerdictNotServed:
		log.Info("the proxy does not serve a reference; images that would be rewritten to it are left as written (not-served)",
			"reference", ref, "reason", errString(err))
	case VerdictUnknown:
		log.Error(err, "served check failed: no verdict; images that would be rewritten to the reference are rewritten", "reference", ref)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
