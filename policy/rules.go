package policy

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pullthrough/pullthrough/rewrite"
)

// inexpressible starts the error for a config that asks for a decision CEL
// cannot make exactly as the Go engine does, so no policy is generated for
// it. The error names the rule (field path and value) and why.
const inexpressible = "cannot be expressed exactly in an admission policy"

// rules are a config's routing rules, parsed exactly as rewrite.New parses
// them and put in the shape the CEL needs.
type rules struct {
	exclude  string   // anchored RE2 of every exclude.images glob; "" for none
	targets  string   // RE2 matching a canonical name under any target; "" for none
	mirrors  []mirror // longest source first, as rewrite.New orders them
	hosts    []string // public registries named by host
	wildcard []string // public registries named "*.domain", in list order
}

// mirror is one rule: its canonical source, its target as written, and the
// constant that turns a canonical name's length into the result's path length.
type mirror struct {
	source, target string
	pathDelta      int
	// scope is the CEL condition under which the mirror applies
	// (scopeExpr); "" for an unscoped mirror, which applies everywhere.
	scope string
}

// unscoped is 1 for an unscoped mirror and 0 for a scoped one, to sort by.
func (m mirror) unscoped() int {
	if m.scope == "" {
		return 1
	}
	return 0
}

// compileRules parses r as rewrite.New does (and refuses what it refuses,
// with the same error), then compiles what the CEL matches with.
func compileRules(r rewrite.Rules) (*rules, error) {
	if _, err := rewrite.New(r); err != nil {
		return nil, err
	}
	out := &rules{}
	var globs []string
	for i, g := range r.ExcludeImages {
		canonical, err := rewrite.ParseImageGlob(g)
		if err != nil {
			return nil, fmt.Errorf("exclude.images[%d]: %w", i, err)
		}
		globs = append(globs, canonical)
		if _, err := globRegexp(canonical, false); err != nil {
			return nil, fmt.Errorf("exclude.images[%d]: %w", i, err)
		}
	}
	var err error
	if out.exclude, err = anyGlob(globs, false); err != nil {
		return nil, err
	}
	var targets []string
	for i, m := range r.Mirrors {
		source, _ := rewrite.ParsePrefix(m.Source) // rewrite.New accepted both
		target, _ := rewrite.ParsePrefix(m.Target)
		host, _, _ := strings.Cut(m.Target, "/")
		scope, err := scopeExpr(m, i)
		if err != nil {
			return nil, err
		}
		// result path = len(target) + len(name) - len(source) - len(host) - 1
		out.mirrors = append(out.mirrors, mirror{source: source, target: m.Target,
			pathDelta: len(m.Target) - len(host) - 1 - len(source), scope: scope})
		targets = append(targets, regexp.QuoteMeta(target))
	}
	if len(targets) > 0 {
		out.targets = "^(?:" + strings.Join(targets, "|") + ")(?:/|$)"
	}
	// rewrite.New's order: longest source first; at equal length scoped
	// before unscoped; otherwise config order.
	slices.SortStableFunc(out.mirrors, func(a, b mirror) int {
		return cmp.Or(cmp.Compare(len(b.source), len(a.source)), cmp.Compare(a.unscoped(), b.unscoped()))
	})
	for _, e := range r.PublicRegistries {
		canonical, _ := rewrite.ParsePublicRegistry(e)
		list := &out.hosts
		if strings.HasPrefix(canonical, "*.") {
			list = &out.wildcard
		}
		if !slices.Contains(*list, canonical) {
			*list = append(*list, canonical)
		}
	}
	return out, nil
}

// targetHosts are the hosts of the mirrors' targets as the config writes
// them, each once: every image the policy rewrites starts with one and "/".
func (r *rules) targetHosts() []string {
	var out []string
	for _, m := range r.mirrors {
		if host, _, _ := strings.Cut(m.target, "/"); !slices.Contains(out, host) {
			out = append(out, host)
		}
	}
	return out
}
