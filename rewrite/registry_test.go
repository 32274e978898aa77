package rewrite

import "testing"

func TestCanonicalHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"ghcr.io":                     "ghcr.io",
		"GHCR.io":                     "ghcr.io",
		"ghcr.io:443":                 "ghcr.io",
		"ghcr.io:0443":                "ghcr.io", // the runtime reads the port as a number
		"Docker.IO:443":               "docker.io",
		"index.docker.io":             "docker.io",
		"registry-1.docker.io:443":    "docker.io",
		"registry.hub.docker.com:443": "docker.io",
		"registry.local:5000":         "registry.local:5000", // another port, another registry
		"registry.local:05000":        "registry.local:5000",
		"registry-1.docker.io:5000":   "registry-1.docker.io:5000", // not Docker Hub at all
		"registry.local:80":           "registry.local:80",         // only the HTTPS default is implied
		"registry.local:4430":         "registry.local:4430",
		"registry.local:000":          "registry.local:0",
		"localhost:443":               "localhost",
		"[::1]:443":                   "[::1]",
		"[::1]":                       "[::1]", // the colons of an IPv6 literal are no port
		"[fe80::443]":                 "[fe80::443]",
	} {
		if got := CanonicalHost(host); got != want {
			t.Errorf("CanonicalHost(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestSplitPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, registry, path string
	}{
		{"bare host", "ghcr.io", "ghcr.io", ""},
		{"host and path", "proxy.example.internal/dockerhub", "proxy.example.internal", "dockerhub"},
		// The path is kept as written; only the host is an identity.
		{"deep path", "Proxy.Example.Internal:443/a/B", "proxy.example.internal", "a/B"},
		{"docker hub alias", "index.docker.io/v1/", "docker.io", "v1/"},
		{"another port", "registry.local:5000/x", "registry.local:5000", "x"},
		{"ipv6 literal", "[::1]:5000/quay", "[::1]:5000", "quay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if registry, path := SplitPrefix(tt.prefix); registry != tt.registry || path != tt.path {
				t.Errorf("SplitPrefix(%q) = %q, %q, want %q, %q", tt.prefix, registry, path, tt.registry, tt.path)
			}
		})
	}
}

// spellingConfig has a target spelled with the default port and upper case:
// results must keep it exactly, and it must still be recognised as proxied.
const spellingConfig = `
mirrors:
  - {source: docker.io, target: Proxy.Example.Internal:443/dockerhub}
  - {source: ghcr.io, target: proxy.example.internal/ghcr}
  - {source: quay.io:443, target: proxy.example.internal/quay}
  - {source: registry.k8s.io, target: proxy.example.internal/k8s}
  - {source: registry.local:5000, target: proxy.example.internal/local}
exclude:
  images: ["ghcr.io:443/acme/secret*", "DOCKER.IO/library/busybox*"]
`

// TestRewriteSpellings holds every spelling of a mirrored registry to its
// rule: a spelling that came out no-rule would be pulled straight from the
// public registry.
func TestRewriteSpellings(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, spellingConfig)
	const hub = "Proxy.Example.Internal:443/dockerhub/library/nginx"
	checkDecisions(t, "Rewrite", r.Rewrite, []decision{
		{"default port ghcr", "ghcr.io:443/acme/app:1", "proxy.example.internal/ghcr/acme/app:1", OutcomeRewritten},
		{"default port quay", "quay.io:443/calico/node:v3", "proxy.example.internal/quay/calico/node:v3", OutcomeRewritten},
		{"source written with port", "quay.io/calico/node:v3", "proxy.example.internal/quay/calico/node:v3", OutcomeRewritten},
		{"default port k8s", "registry.k8s.io:443/pause:3.9", "proxy.example.internal/k8s/pause:3.9", OutcomeRewritten},
		{"leading zeros", "registry.k8s.io:0443/pause:3.9", "proxy.example.internal/k8s/pause:3.9", OutcomeRewritten},
		{"docker hub alias with port", "registry-1.docker.io:443/library/nginx", hub, OutcomeRewritten},
		{"docker hub alias with port familiar", "registry-1.docker.io:443/nginx", hub, OutcomeRewritten},
		{"docker hub upper case with port", "Docker.IO:443/nginx", hub, OutcomeRewritten},
		{"index alias with port", "index.docker.io:443/library/nginx", hub, OutcomeRewritten},
		{"hub alias with port", "registry.hub.docker.com:443/library/nginx", hub, OutcomeRewritten},
		{"familiar", "nginx", hub, OutcomeRewritten},
		// The target keeps its spelling; every spelling of it is proxied.
		{"target as written", hub, hub, OutcomeAlreadyProxied},
		{"target without port", "proxy.example.internal/dockerhub/library/nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeAlreadyProxied},
		{"target with port lower", "proxy.example.internal:443/ghcr/acme/app:1", "proxy.example.internal:443/ghcr/acme/app:1", OutcomeAlreadyProxied},
		// Another port is another registry.
		{"other port no rule", "ghcr.io:5000/acme/app:1", "ghcr.io:5000/acme/app:1", OutcomeNoRule},
		{"alias other port no rule", "registry-1.docker.io:5000/library/nginx", "registry-1.docker.io:5000/library/nginx", OutcomeNoRule},
		{"port source", "registry.local:5000/team/app:2", "proxy.example.internal/local/team/app:2", OutcomeRewritten},
		{"port source leading zero", "registry.local:05000/team/app:2", "proxy.example.internal/local/team/app:2", OutcomeRewritten},
		{"port source without port", "registry.local/team/app:2", "registry.local/team/app:2", OutcomeNoRule},
		{"proxy on other port", "proxy.example.internal:8443/ghcr/x", "proxy.example.internal:8443/ghcr/x", OutcomeNoRule},
		// Exclusions compare identities too.
		{"excluded with port", "ghcr.io:443/acme/secret:1", "ghcr.io:443/acme/secret:1", OutcomeExcludedImage},
		{"excluded without port", "ghcr.io/acme/secret:1", "ghcr.io/acme/secret:1", OutcomeExcludedImage},
		{"excluded docker hub spelling", "Docker.IO:443/busybox:1", "Docker.IO:443/busybox:1", OutcomeExcludedImage},
	})
	checkDecisions(t, "RewritePrefix", r.RewritePrefix, []decision{
		{"prefix default port", "quay.io:443/", "proxy.example.internal/quay/", OutcomeRewritten},
		{"prefix alias default port", "registry-1.docker.io:443/istio", "Proxy.Example.Internal:443/dockerhub/istio", OutcomeRewritten},
		{"prefix target spelling", "proxy.example.internal:443/quay", "proxy.example.internal:443/quay", OutcomeAlreadyProxied},
		{"prefix other port", "quay.io:8443", "quay.io:8443", OutcomeNoRule},
	})
}

func TestRegistryOf(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]string{
		"nginx":                          "docker.io",
		"registry-1.docker.io:443/x/y:1": "docker.io",
		"GHCR.io:443/acme/app":           "ghcr.io",
		"eu.gcr.io/p/a":                  "eu.gcr.io",
		"registry.local:05000/a":         "registry.local:5000",
		"nginx:":                         "",
	} {
		if got := RegistryOf(image); got != want {
			t.Errorf("RegistryOf(%q) = %q, want %q", image, got, want)
		}
	}
}
