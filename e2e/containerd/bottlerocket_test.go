package containerd

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/pelletier/go-toml/v2"

	pconfig "github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/nodeconfig"
	"github.com/pullthrough/pullthrough/rewrite"
)

// bottlerocketSettings is the part of Bottlerocket's settings that
// `nodeconfig -o bottlerocket` prints.
type bottlerocketSettings struct {
	Settings struct {
		ContainerRegistry struct {
			Mirrors []struct {
				Registry string   `toml:"registry"`
				Endpoint []string `toml:"endpoint"`
			} `toml:"mirrors"`
		} `toml:"container-registry"`
	} `toml:"settings"`
}

// mirrorEndpointHosts are the hosts containerd's CRI plugin tries for a
// registry configured, as Bottlerocket configures it, by registry mirror
// endpoints rather than host files: each endpoint in order, its URL path
// the API root ("/v2" when it has none), and then the registry itself,
// which containerd appends unless an endpoint already names it. Every
// client trusts roots.
func mirrorEndpointHosts(endpoints map[string][]string, roots *x509.CertPool, update config.UpdateClientFunc) docker.RegistryHosts {
	return func(host string) ([]docker.RegistryHost, error) {
		defaultHost, err := docker.DefaultHost(host)
		if err != nil {
			return nil, err
		}
		urls := slices.Clone(endpoints[host])
		if !slices.ContainsFunc(urls, func(e string) bool { u, err := url.Parse(e); return err == nil && u.Host == host }) {
			urls = append(urls, "https://"+defaultHost)
		}
		var hosts []docker.RegistryHost
		for _, e := range urls {
			u, err := url.Parse(e)
			if err != nil {
				return nil, err
			}
			if u.Path == "" {
				u.Path = "/v2"
			}
			client := &http.Client{Transport: docker.DefaultHTTPTransport(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})}
			if err := update(client); err != nil {
				return nil, err
			}
			hosts = append(hosts, docker.RegistryHost{
				Client: client, Authorizer: docker.NewDockerAuthorizer(docker.WithAuthClient(client)),
				Host: u.Host, Scheme: u.Scheme, Path: u.Path,
				Capabilities: docker.HostCapabilityResolve | docker.HostCapabilityPull,
			})
		}
		return hosts, nil
	}
}

// TestBottlerocketSettingsResolveThroughTheProxy feeds what `nodeconfig -o
// bottlerocket` prints for a path-prefix proxy (a Harbor proxy-cache
// project) to containerd's resolver the way Bottlerocket configures
// containerd, on a node that reaches nothing but loopback: Docker Hub's
// images resolve through the proxy's project to the upstream's digest,
// asking no other host. The bare-host endpoint docs/eks.md once showed asks
// the proxy for a path it does not serve and goes on to Docker Hub.
func TestBottlerocketSettingsResolveThroughTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts registry processes")
	}
	set := registry.StartForTest(t, registry.Options{Hosts: []string{"docker.io"}})
	ctx := t.Context()
	digests, err := set.Seed(ctx, registry.Image{Ref: "nginx:1.27", Platforms: []string{"linux/amd64", "linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	hub := newFront(t, &url.URL{Scheme: "https", Host: set.Proxy("docker.io").Addr}, "dockerhub", set.Transport())
	roots := x509.NewCertPool()
	roots.AddCert(hub.Certificate())

	cfg := &pconfig.Config{Mirrors: []rewrite.Mirror{{Source: "docker.io", Target: hub.host() + "/dockerhub"}}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	printed, _, err := nodeconfig.Bottlerocket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var settings bottlerocketSettings
	if err := toml.Unmarshal(printed, &settings); err != nil {
		t.Fatalf("the settings are not TOML: %v\n%s", err, printed)
	}
	generated := map[string][]string{}
	for _, m := range settings.Settings.ContainerRegistry.Mirrors {
		generated[m.Registry] = m.Endpoint
	}

	for _, tc := range []struct {
		name      string
		endpoints map[string][]string
		ref       string
		asked     []string
		resolves  bool
	}{
		{"generated", generated, "docker.io/library/nginx:1.27", []string{hub.host()}, true},
		{"generated, an alias of Docker Hub", generated, "registry-1.docker.io/library/nginx:1.27", []string{hub.host()}, true},
		{"bare host, as the docs once showed", map[string][]string{"docker.io": {"https://" + hub.host()}}, "docker.io/library/nginx:1.27",
			[]string{hub.host(), "registry-1.docker.io"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := resolveWith(ctx, tc.ref, func(update config.UpdateClientFunc) docker.RegistryHosts {
				return mirrorEndpointHosts(tc.endpoints, roots, update)
			})
			if resolved := res.err == nil && res.digest.String() == digests["nginx:1.27"]; resolved != tc.resolves {
				t.Errorf("%s: resolved %s (%v); want resolved through the proxy: %v", tc.ref, res.digest, res.err, tc.resolves)
			}
			if !slices.Equal(res.asked, tc.asked) {
				t.Errorf("%s: containerd asked %q, want %q", tc.ref, res.asked, tc.asked)
			}
		})
	}
}
