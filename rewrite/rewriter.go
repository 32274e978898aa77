package rewrite

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// Rewriter applies one set of Rules. It is immutable and safe for
// concurrent use, so a hot reload swaps a whole Rewriter, never part of one.
type Rewriter struct {
	withhold Outcome  // "" applies rewrites; otherwise the outcome that replaces OutcomeRewritten
	rules    []rule   // in force: longest source first, scoped before unscoped at equal length
	targets  []string // canonical, of every mirror, for already-proxied detection
	images   []string // canonical exclusion globs
	public   publicRegistries
	scopes   *scopes // nil when no mirror is scoped
}

// rule is a Mirror: its source in canonical form, to match names, and its
// target as configured, because a rewrite writes the target exactly as the
// operator spelled it.
type rule struct {
	source, target string
	hostLen        int // length of the target's host, to measure a result's path
	scope          int // index among the scoped mirrors (scopes.mirrors), -1 when unscoped
}

// unscoped is 1 for an unscoped rule and 0 for a scoped one, to sort by.
func (rl rule) unscoped() int {
	if rl.scope < 0 {
		return 1
	}
	return 0
}

// Result is the decision for one image.
type Result struct {
	// Image is what the image becomes: the rewrite when Outcome is
	// OutcomeRewritten, the input unchanged otherwise.
	Image string
	// Proposed is the rewrite a matching rule gives, even when it is not
	// applied (audit, proxy down); empty when no rule applies.
	Proposed string
	// Outcome says what happened and why.
	Outcome Outcome
	// Rule is the canonical source of the matching mirror, or "" when none
	// matched.
	Rule string
	// Public is, for OutcomeUnroutedPublic, the public-registry entry that
	// covers the image's registry (docker.io, *.gcr.io); "" otherwise.
	Public string
}

// Registry is the bounded "registry" label of the image: its mirror's
// source, or the public-registry entry no mirror covers, or "" for neither.
// It never carries a raw host from the input.
func (r Result) Registry() string {
	if r.Rule != "" {
		return r.Rule
	}
	return r.Public
}

// New builds a Rewriter from rules. Package config validates them first
// and reports every problem with its field path; New refuses any rules it
// cannot route by (a malformed prefix or glob, mirrors that conflict), so it
// can never route with a looping set.
func New(rules Rules) (*Rewriter, error) {
	public, err := newPublicRegistries(rules.PublicRegistries)
	if err != nil {
		return nil, err
	}
	r := &Rewriter{public: public}
	var scoped []Mirror
	for i, g := range rules.ExcludeImages {
		canonical, err := ParseImageGlob(g)
		if err != nil {
			return nil, fmt.Errorf("exclude.images[%d]: %w", i, err)
		}
		r.images = append(r.images, canonical)
	}
	for i, m := range rules.Mirrors {
		source, err := ParsePrefix(m.Source)
		if err != nil {
			return nil, fmt.Errorf("mirrors[%d].source: %w", i, err)
		}
		target, err := ParsePrefix(m.Target)
		if err != nil {
			return nil, fmt.Errorf("mirrors[%d].target: %w", i, err)
		}
		hostLen, _, _ := strings.Cut(m.Target, "/")
		rl := rule{source: source, target: m.Target, hostLen: len(hostLen), scope: -1}
		if m.Scoped() {
			if err := validateScope(m); err != nil {
				return nil, fmt.Errorf("mirrors[%d].%w", i, err)
			}
			rl.scope = len(scoped)
			scoped = append(scoped, m)
		}
		r.rules = append(r.rules, rl)
		r.targets = append(r.targets, target)
	}
	if c := Conflicts(rules.Mirrors); len(c) > 0 {
		return nil, fmt.Errorf("mirrors[%d].%s %q: %s", c[0].Index, c[0].Field, c[0].Value, c[0].Detail)
	}
	// Longest source first; at equal length (the same source) scoped before
	// unscoped; otherwise config order, which decides between two scoped
	// mirrors only a namespaceSelector keeps apart.
	slices.SortStableFunc(r.rules, func(a, b rule) int {
		return cmp.Or(cmp.Compare(len(b.source), len(a.source)), cmp.Compare(a.unscoped(), b.unscoped()))
	})
	if len(scoped) > 0 {
		r.scopes = &scopes{mirrors: scoped, all: r.rules, cache: map[string][]rule{}}
		r.rules = r.scopes.rules(strings.Repeat("0", len(scoped)))
	}
	return r, nil
}

// validateScope refuses a scope a Rewriter cannot select by: a malformed
// namespaces glob or an unknown selector operator.
func validateScope(m Mirror) error {
	for j, g := range m.Namespaces {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			return fmt.Errorf("namespaces[%d] %q: not a valid glob (path.Match syntax)", j, g)
		}
	}
	if m.NamespaceSelector != nil {
		if err := m.NamespaceSelector.validate(); err != nil {
			return fmt.Errorf("namespaceSelector.%w", err)
		}
	}
	return nil
}

// Withholding returns a Rewriter that computes the same rewrites but applies
// none, giving them the outcome why instead: OutcomeAudit for audit mode and
// the webhook's audit path, OutcomeProxyUnhealthy while the proxy is down,
// OutcomeNoPullSecret in a namespace without the proxy's pull secret. An
// existing withholding (audit mode in the config) is kept, as it was asked
// for first.
func (r *Rewriter) Withholding(why Outcome) *Rewriter {
	if r.withhold != "" {
		return r
	}
	c := *r
	c.withhold = why
	return &c
}

// Rewrite decides what happens to one image reference.
func (r *Rewriter) Rewrite(image string) Result {
	p := parseImage(image)
	if !p.ok {
		return Result{Image: image, Outcome: OutcomeUnparseable}
	}
	name, suffix := p.name, p.suffix
	if len(r.images) > 0 && (matchAny(r.images, name) || matchAny(r.images, name+suffix)) {
		return Result{Image: image, Outcome: OutcomeExcludedImage}
	}
	return r.decide(image, name, suffix, true)
}

// RewritePrefix decides what happens to a registry prefix (host or host/path,
// optionally ending in '/'), as written in Istio's "hub" or Calico's
// spec.registry. A trailing slash is kept; no "library/" is added. The
// exclusion globs apply to the prefix as to a name.
func (r *Rewriter) RewritePrefix(prefix string) Result {
	trimmed := strings.TrimSuffix(prefix, "/")
	name, err := ParsePrefix(trimmed)
	if err != nil {
		return Result{Image: prefix, Outcome: OutcomeUnparseable}
	}
	if matchAny(r.images, name) {
		return Result{Image: prefix, Outcome: OutcomeExcludedImage}
	}
	return r.decide(prefix, name, prefix[len(trimmed):], false)
}

// decide maps a canonical name to its target, keeping suffix (tag, digest or
// trailing slash) as written; a withholding Rewriter reports the rewrite
// without applying it. An image needs a path after the host; a prefix may
// be a bare host. A name no mirror covers is unrouted-public when its
// registry is a listed public one, no-rule otherwise.
//
// The proposal needs no second parse: the target's host is a host (ParsePrefix
// insists), and the target's path and the rest of the name are each valid, so
// their join is valid unless the path is empty (a bare-host target for a whole
// image name) or outgrows the grammar's limit. FuzzRewrite holds this to
// account, including that the result keeps the target's host.
func (r *Rewriter) decide(input, name, suffix string, image bool) Result {
	for _, t := range r.targets {
		if under(name, t) {
			return Result{Image: input, Outcome: OutcomeAlreadyProxied}
		}
	}
	for _, rl := range r.rules {
		if !under(name, rl.source) {
			continue
		}
		rest := name[len(rl.source):]
		pathLen := len(rl.target) + len(rest) - rl.hostLen - 1
		proposed := rl.target + rest + suffix
		switch {
		case pathLen > reference.RepositoryNameTotalLengthMax, image && pathLen < 1:
			return Result{Image: input, Outcome: OutcomeInvalidResult, Rule: rl.source}
		case r.withhold != "":
			return Result{Image: input, Proposed: proposed, Outcome: r.withhold, Rule: rl.source}
		default:
			return Result{Image: proposed, Proposed: proposed, Outcome: OutcomeRewritten, Rule: rl.source}
		}
	}
	host, _, _ := strings.Cut(name, "/")
	if entry := r.public.entry(host); entry != "" {
		return Result{Image: input, Outcome: OutcomeUnroutedPublic, Public: entry}
	}
	return Result{Image: input, Outcome: OutcomeNoRule}
}

// canonicalName is the name of a parsed reference by registry identity
// (CanonicalHost), with Docker Hub's "library/" for an official image.
func canonicalName(named reference.Named) string {
	host, repo := CanonicalHost(reference.Domain(named)), reference.Path(named)
	if host == DockerHub && !strings.Contains(repo, "/") {
		// An alias (registry-1.docker.io/nginx) or an upper-case host
		// (Docker.IO/nginx) escapes the library's own "library/" rule.
		repo = "library/" + repo
	}
	return host + "/" + repo
}

// tagAndDigest is the ":tag@digest" part of a reference, as written.
func tagAndDigest(named reference.Named) string {
	var s string
	if t, ok := named.(reference.Tagged); ok {
		s = ":" + t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		s += "@" + d.Digest().String()
	}
	return s
}

// matchAny reports whether any path.Match glob matches s. Globs were
// validated by New, so a match error cannot happen here.
func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}
