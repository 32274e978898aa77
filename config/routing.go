package config

import (
	"path"

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

// ServedChecked reports whether the webhook asks the proxy before rewriting.
func (c *Config) ServedChecked() bool { return *c.Served().Enabled }
