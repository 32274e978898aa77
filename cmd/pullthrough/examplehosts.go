package main

import (
	"net"
	"slices"
	"strings"

	"github.com/pullthrough/pullthrough/rewrite"
)

// exampleTargets returns the mirror targets whose host is a documented
// example name: no pull from such a host can succeed, so a config that still
// names one (the chart's proxy.example.internal placeholder) would, in
// enforce, point every new pod at a proxy that does not exist. The chart
// refuses enforce with one (templates/_helpers.tpl, pullthrough.exampleTargets
// applies the same rule); the binary warns at start, as a config may come
// from elsewhere.
func exampleTargets(mirrors []rewrite.Mirror) []string {
	var found []string
	for _, m := range mirrors {
		if exampleHost(m.Target) {
			found = append(found, m.Target)
		}
	}
	return found
}

// exampleHost reports whether the host of a registry prefix is reserved for
// documentation: it has a label "example" (RFC 2606's example TLD and
// example.com, .net, .org, and names built on them such as
// proxy.example.internal) or the TLD "invalid". The host is the registry's
// identity (rewrite.SplitPrefix: lower-cased) without its port.
func exampleHost(prefix string) bool {
	host, _ := rewrite.SplitPrefix(prefix)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	return slices.Contains(labels, "example") || labels[len(labels)-1] == "invalid"
}
