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
		t := m.Target
		host, _, _ := strings.Cut(t, "/")
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if exampleHost(host) {
			found = append(found, t)
		}
	}
	return found
}

// exampleHost reports whether host is reserved for documentation: it has a
// label "example" (RFC 2606's example TLD and example.com, .net, .org, and
// names built on them such as proxy.example.internal) or the TLD "invalid".
func exampleHost(host string) bool {
	labels := strings.Split(strings.ToLower(strings.TrimSuffix(host, ".")), ".")
	return slices.Contains(labels, "example") || labels[len(labels)-1] == "invalid"
}
