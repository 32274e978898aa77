package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pullthrough/pullthrough/rewrite"
)

// nsLabels is the request namespace's labels in CEL; namespaceObject is the
// Namespace the API server gives every policy for a namespaced request.
const nsLabels = "namespaceObject.metadata.labels"

// scopeExpr is the CEL condition under which mirror m applies, as
// rewrite.Mirror.Selects decides it: its namespaces globs on the
// namespace's name (a label selector cannot hold a glob) and its selector
// on the namespace's labels, ANDed; "" for an unscoped mirror. The
// bindings stay those of the mode: the scope is decided inside the one
// policy, per mirror, so that the longest-source rule and the precedence
// among scoped mirrors are the Go engine's own order (rules.mirrors).
func scopeExpr(m rewrite.Mirror, i int) (string, error) {
	if !m.Scoped() {
		return "", nil
	}
	var conds []string
	if len(m.Namespaces) > 0 {
		re, err := anyGlob(m.Namespaces, true)
		if err != nil {
			return "", fmt.Errorf("mirrors[%d].namespaces: %w", i, err)
		}
		conds = append(conds, fmt.Sprintf("namespaceObject.metadata.name.matches(%s)", lit(re)))
	}
	if s := m.NamespaceSelector; s != nil {
		keys := make([]string, 0, len(s.MatchLabels))
		for k := range s.MatchLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a stable policy for a map
		for _, k := range keys {
			conds = append(conds, fmt.Sprintf("%s && %s[%s] == %s", hasLabel(k), nsLabels, lit(k), lit(s.MatchLabels[k])))
		}
		for _, r := range s.MatchExpressions {
			c, err := requirementExpr(r)
			if err != nil {
				return "", fmt.Errorf("mirrors[%d].namespaceSelector: %w", i, err)
			}
			conds = append(conds, c)
		}
	}
	if len(conds) == 0 {
		return "true", nil // an empty selector selects every namespace
	}
	return "(" + strings.Join(conds, ") && (") + ")", nil
}

// hasLabel is the CEL test that the namespace carries label key.
func hasLabel(key string) string {
	return fmt.Sprintf("has(%s) && %s in %s", nsLabels, lit(key), nsLabels)
}

// requirementExpr is one matchExpressions entry in CEL, with
// labels.Selector's meaning (NotIn holds for an absent key).
func requirementExpr(r rewrite.Requirement) (string, error) {
	switch r.Operator {
	case rewrite.OpIn:
		return fmt.Sprintf("%s && %s[%s] in %s", hasLabel(r.Key), nsLabels, lit(r.Key), list(r.Values)), nil
	case rewrite.OpNotIn:
		return fmt.Sprintf("!(%s) || !(%s[%s] in %s)", hasLabel(r.Key), nsLabels, lit(r.Key), list(r.Values)), nil
	case rewrite.OpExists:
		return hasLabel(r.Key), nil
	case rewrite.OpDoesNotExist:
		return "!(" + hasLabel(r.Key) + ")", nil
	}
	return "", fmt.Errorf("operator %q: not one of In, NotIn, Exists, DoesNotExist", r.Operator)
}
