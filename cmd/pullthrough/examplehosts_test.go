package main

import (
	"slices"
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
)

func TestExampleTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		targets []string
		want    []string
	}{
		{"the chart's placeholder", []string{"proxy.example.internal/dockerhub"}, []string{"proxy.example.internal/dockerhub"}},
		{"RFC 2606 second-level names", []string{"example.com/x", "registry.example.org", "example.net:5000/y"},
			[]string{"example.com/x", "registry.example.org", "example.net:5000/y"}},
		{"the example TLD, as in the docs", []string{"harbor.corp.example/dockerhub"}, []string{"harbor.corp.example/dockerhub"}},
		{"the invalid TLD", []string{"proxy.invalid/ghcr"}, []string{"proxy.invalid/ghcr"}},
		{"case and a trailing dot do not hide it", []string{"Proxy.EXAMPLE.internal./k8s"}, []string{"Proxy.EXAMPLE.internal./k8s"}},
		{"a port does not hide it", []string{"proxy.example.internal:8443/quay"}, []string{"proxy.example.internal:8443/quay"}},
		// The case hack/lint-chart.sh holds the chart's helper to.
		{"case, a port and a trailing dot together", []string{"Proxy.INVALID.:8443/ghcr"}, []string{"Proxy.INVALID.:8443/ghcr"}},
		// A label merely containing the word is a real name.
		{"examples and counterexample are real names", []string{"examples.corp.internal/x", "counterexample.io/y"}, nil},
		{"a real proxy", []string{"harbor.platform.internal/dockerhub", "10.0.0.5:5000/ghcr", "[::1]:5000/quay"}, nil},
		{"only the example ones of a mixed list", []string{"harbor.platform.internal/a", "proxy.example.internal/b"}, []string{"proxy.example.internal/b"}},
		// The path is not the host: a project called example is fine.
		{"example in the path", []string{"harbor.platform.internal/example"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mirrors []rewrite.Mirror
			for _, target := range tt.targets {
				mirrors = append(mirrors, rewrite.Mirror{Source: "docker.io", Target: target})
			}
			if got := exampleTargets(mirrors); !slices.Equal(got, tt.want) {
				t.Errorf("exampleTargets(%q) = %q, want %q", tt.targets, got, tt.want)
			}
		})
	}
}
