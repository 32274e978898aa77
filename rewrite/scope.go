package rewrite

import (
	"fmt"
	"slices"
	"sync"
)

// Selector is a label selector of a namespace, in the shape and with the
// meaning of Kubernetes' metav1.LabelSelector (matchLabels and
// matchExpressions, all ANDed), kept as plain values so that this package
// imports no Kubernetes package. Package config validates it with the
// apimachinery parser; Matches decides as labels.Selector does.
type Selector struct {
	// MatchLabels requires each key to be present with the value given.
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
	// MatchExpressions are requirements on one key each.
	MatchExpressions []Requirement `json:"matchExpressions,omitempty"`
}

// Requirement is one entry of a Selector's matchExpressions.
type Requirement struct {
	// Key is the label key.
	Key string `json:"key"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	Operator string `json:"operator"`
	// Values for In and NotIn; empty for Exists and DoesNotExist.
	Values []string `json:"values,omitempty"`
}

// The operators of a Requirement, spelled as metav1.LabelSelectorOperator.
const (
	OpIn           = "In"
	OpNotIn        = "NotIn"
	OpExists       = "Exists"
	OpDoesNotExist = "DoesNotExist"
)

// Matches reports whether a namespace with labels is selected: every
// matchLabels entry is present with its value and every requirement holds.
// A Selector with neither selects every namespace, as in Kubernetes.
func (s *Selector) Matches(labels map[string]string) bool {
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, r := range s.MatchExpressions {
		v, ok := labels[r.Key]
		var holds bool
		switch r.Operator {
		case OpIn:
			holds = ok && slices.Contains(r.Values, v)
		case OpNotIn:
			holds = !ok || !slices.Contains(r.Values, v)
		case OpExists:
			holds = ok
		case OpDoesNotExist:
			holds = !ok
		}
		if !holds {
			return false
		}
	}
	return true
}

// validate refuses an operator Matches does not know, so a Rewriter can
// never select by a requirement it would read as false.
func (s *Selector) validate() error {
	for i, r := range s.MatchExpressions {
		switch r.Operator {
		case OpIn, OpNotIn, OpExists, OpDoesNotExist:
		default:
			return fmt.Errorf("matchExpressions[%d].operator %q: not one of In, NotIn, Exists, DoesNotExist", i, r.Operator)
		}
	}
	return nil
}

// Scoped reports whether the mirror applies only in some namespaces: it
// names namespaces, or has a namespaceSelector (even an empty one).
func (m Mirror) Scoped() bool {
	return len(m.Namespaces) > 0 || m.NamespaceSelector != nil
}

// Selects reports whether the mirror applies in the namespace name with
// labels: an unscoped mirror everywhere; a scoped one where a Namespaces
// glob matches the name (when it has any) and its NamespaceSelector
// matches the labels (when it has one).
func (m Mirror) Selects(name string, labels map[string]string) bool {
	if len(m.Namespaces) > 0 && !matchAny(m.Namespaces, name) {
		return false
	}
	return m.NamespaceSelector == nil || m.NamespaceSelector.Matches(labels)
}

// scopeConflicts lists the pairs of scoped mirrors for one source that can
// both select one namespace where load can tell: neither has a
// namespaceSelector (which no load can decide) and a namespaces glob of
// each matches a common namespace name. Where a selector is involved, the
// earlier mirror in file order wins (see Rewriter.In).
func scopeConflicts(mirrors []Mirror, sources []string) []Conflict {
	var out []Conflict
	for j, b := range mirrors {
		if len(b.Namespaces) == 0 || b.NamespaceSelector != nil || sources[j] == "" {
			continue
		}
		for i, a := range mirrors[:j] {
			if sources[i] != sources[j] || len(a.Namespaces) == 0 || a.NamespaceSelector != nil {
				continue
			}
			if ga, gb, ok := overlappingGlobs(a.Namespaces, b.Namespaces); ok {
				out = append(out, Conflict{Index: j, Field: "namespaces", Value: gb,
					Detail: fmt.Sprintf("selects a namespace that mirrors[%d].namespaces %s also selects for source %s; give each namespace one mirror per source", i, ga, a.Source)})
			}
		}
	}
	return out
}

// overlappingGlobs finds a glob of a and one of b that match a common
// namespace name.
func overlappingGlobs(a, b []string) (string, string, bool) {
	for _, ga := range a {
		for _, gb := range b {
			if GlobsOverlap(ga, gb) {
				return ga, gb, true
			}
		}
	}
	return "", "", false
}

// In returns the Rewriter for the namespace name with labels: the unscoped
// mirrors and the scoped ones that select the namespace. Among those the
// longest source wins; at equal length a scoped mirror beats an unscoped
// one, and of two scoped mirrors for one source (possible only when a
// namespaceSelector keeps load from telling them apart) the earlier in the
// config wins. Targets of every mirror stay already-proxied everywhere, so
// rewriting is still a fixed point. A Rewriter built by New routes as a
// namespace no scoped mirror selects; In is cheap for a config without
// scoped mirrors (it returns r) and otherwise cached per distinct set of
// selecting mirrors.
func (r *Rewriter) In(name string, labels map[string]string) *Rewriter {
	if r.scopes == nil {
		return r
	}
	key := make([]byte, len(r.scopes.mirrors))
	for i, m := range r.scopes.mirrors {
		key[i] = '0'
		if m.Selects(name, labels) {
			key[i] = '1'
		}
	}
	c := *r
	c.rules = r.scopes.rules(string(key))
	return &c
}

// maxScopeSets bounds the cache of In: past it, a scope set is computed
// on each call rather than stored (the cache is only a cost saving).
const maxScopeSets = 4096

// scopes are a Rewriter's scoped mirrors, and the rules in force per
// distinct set of them that select a namespace.
type scopes struct {
	mirrors []Mirror // the scoped mirrors, in config order
	all     []rule   // every rule, in precedence order
	mu      sync.Mutex
	cache   map[string][]rule
}

// rules are the rules in force where the scoped mirrors marked '1' in key
// select the namespace.
func (s *scopes) rules(key string) []rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rl, ok := s.cache[key]; ok {
		return rl
	}
	var rl []rule
	for _, x := range s.all {
		if x.scope < 0 || key[x.scope] == '1' {
			rl = append(rl, x)
		}
	}
	if len(s.cache) < maxScopeSets {
		s.cache[key] = rl
	}
	return rl
}
