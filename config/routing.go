package config

import (
	"path"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Rules are the parts of the config that route an image.
func (c *Config) Rules() rewrite.Rules {
	return rewrite.Rules{Mirrors: c.Mirrors, ExcludeImages: c.Exclude.Images, PublicRegistries: c.PublicRegistries.List()}
}

// Rewriter routes as the config says: its Rules, with every rewrite withheld
// (OutcomeAudit) in audit mode.
func (c *Config) Rewriter() (*rewrite.Rewriter, error) {
	rw, err := rewrite.New(c.Rules())
	if err != nil {
		return nil, err
	}
	if c.Mode == ModeAudit {
		rw = rw.Withholding(rewrite.OutcomeAudit)
	}
	return rw, nil
}

// NamespaceExcluded reports whether exclude.namespaces names ns.
func (c *Config) NamespaceExcluded(ns string) bool {
	for _, g := range c.Exclude.Namespaces {
		if ok, _ := path.Match(g, ns); ok { // globs are validated at load
			return true
		}
	}
	return false
}

// FailOpen reports whether images are left alone while the proxy is down:
// proxyHealth is set and its failOpen is (by default) true.
func (c *Config) FailOpen() bool {
	return c.ProxyHealth != nil && orDefault(c.ProxyHealth.FailOpen, defaultFailOpen)
}

// Served is the served check's settings with every default filled in, also
// for a Config built in code; Enabled is then set.
func (c *Config) Served() ServedCheck { return c.ServedCheck.withDefaults() }

// LabelSelector is a mirror's namespaceSelector as the Kubernetes type, for
// the API server's parser (validation) and the policy engine's bindings.
func LabelSelector(s *rewrite.Selector) *metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := &metav1.LabelSelector{MatchLabels: s.MatchLabels}
	for _, r := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values})
	}
	return out
}

// Scoped reports whether some mirror applies only in some namespaces, so a
// caller must pick the routing per namespace (rewrite.Rewriter.In).
func (c *Config) Scoped() bool {
	return slices.ContainsFunc(c.Mirrors, rewrite.Mirror.Scoped)
}

// SelectsByLabels reports whether some mirror has a namespaceSelector, so a
// caller needs a namespace's labels, not only its name, to route.
func (c *Config) SelectsByLabels() bool {
	return slices.ContainsFunc(c.Mirrors, func(m rewrite.Mirror) bool { return m.NamespaceSelector != nil })
}
