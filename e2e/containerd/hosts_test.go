package containerd

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"

	pconfig "github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/nodeconfig"
)

// writeHostDir generates the host files for cfg into a fresh certs.d
// directory, as `pullthrough nodeconfig --out` does.
func writeHostDir(t *testing.T, cfg *pconfig.Config) string {
	t.Helper()
	files, _, err := nodeconfig.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := nodeconfig.Sync(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hostsFor is what containerd's CRI plugin does for an image of registry:
// find its directory under dir and load the hosts, in the order it tries them.
func hostsFor(t *testing.T, dir, registry string) []docker.RegistryHost {
	t.Helper()
	hosts, err := config.ConfigureHosts(context.Background(), config.HostOptions{HostDir: config.HostDirFromRoot(dir)})(registry)
	if err != nil {
		t.Fatalf("containerd cannot configure %s from %s: %v", registry, dir, err)
	}
	return hosts
}

func hostURL(h docker.RegistryHost) string {
	return (&url.URL{Scheme: h.Scheme, Host: h.Host, Path: h.Path}).String()
}

// TestLayoutsAsContainerdReadsThem loads every provider layout's files with
// containerd's loader. containerd falls back silently to its defaults (a
// single host with push) when it cannot parse a file, so each expectation
// below also proves the file parsed.
func TestLayoutsAsContainerdReadsThem(t *testing.T) {
	ca := writeCA(t)
	for _, tc := range []struct {
		layout string
		want   map[string][]string // registry -> host URLs in order
	}{{
		layout: "distribution",
		want: map[string][]string{
			"docker.io":               {"https://registry.internal:5000/v2", "https://registry-1.docker.io/v2"},
			"registry-1.docker.io":    {"https://registry.internal:5000/v2", "https://registry-1.docker.io/v2"},
			"registry.hub.docker.com": {"https://registry.internal:5000/v2", "https://registry-1.docker.io/v2"},
			"index.docker.io":         {"https://registry.internal:5000/v2", "https://registry-1.docker.io/v2"},
		},
	}, {
		layout: "harbor",
		want: map[string][]string{
			"docker.io": {"https://harbor.example.internal/v2/dockerhub", "https://registry-1.docker.io/v2"},
			"ghcr.io":   {"https://harbor.example.internal/v2/ghcr", "https://ghcr.io/v2"},
			// quay.io/jetstack has no host file: containerd's default.
			"quay.io": {"https://quay.io/v2"},
		},
	}, {
		layout: "artifactory",
		want: map[string][]string{
			"docker.io":       {"https://artifactory.example.internal/v2/dockerhub-remote", "https://registry-1.docker.io/v2"},
			"registry.k8s.io": {"https://artifactory.example.internal/v2/k8s-remote", "https://registry.k8s.io/v2"},
		},
	}, {
		layout: "ecr",
		want: map[string][]string{
			// No fallback: the proxy is the only host.
			"docker.io": {"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/docker-hub"},
			"ghcr.io":   {"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/ghcr"},
		},
	}} {
		t.Run(tc.layout, func(t *testing.T) {
			cfg, err := pconfig.Load(filepath.Join("..", "..", "nodeconfig", "testdata", "layouts", tc.layout+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Node.CA != "" {
				cfg.Node.CA = ca // containerd reads the CA while configuring: it must exist
			}
			dir := writeHostDir(t, cfg)
			for registry, want := range tc.want {
				hosts := hostsFor(t, dir, registry)
				var got []string
				for _, h := range hosts {
					got = append(got, hostURL(h))
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s: containerd tries %q, want %q", registry, got, want)
					continue
				}
				if len(want) == 1 && registry == "quay.io" {
					continue // containerd's own default, not ours
				}
				for i, h := range hosts {
					proxy := i == 0
					wantCaps := docker.HostCapabilityPull | docker.HostCapabilityResolve
					if !proxy {
						// The public registry keeps containerd's defaults.
						wantCaps |= docker.HostCapabilityPush | docker.HostCapabilityReferrers
					}
					if h.Capabilities != wantCaps {
						t.Errorf("%s: host %s has capabilities %b, want %b", registry, hostURL(h), h.Capabilities, wantCaps)
					}
				}
			}
		})
	}
}
