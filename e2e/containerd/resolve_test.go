package containerd

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	pconfig "github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/rewrite"
)

// held are the images the upstreams hold, as a node's runtime names them,
// with the seeded image each must resolve to.
var held = []struct{ ref, seeded string }{
	{"docker.io/library/nginx:1.27", "nginx:1.27"}, // a multi-arch index
	{"registry-1.docker.io/library/nginx:1.27", "nginx:1.27"},
	{"docker.io/bitnami/redis:7", "docker.io/bitnami/redis:7"},
	{"ghcr.io/org/team/tool:v1", "ghcr.io/org/team/tool:v1"},
}

// hostConfig writes the host files of mirrors, trusting ca, and fails t
// when the config is not one pullthrough would load.
func hostConfig(t *testing.T, mirrors []rewrite.Mirror, ca string, fallback bool) string {
	t.Helper()
	cfg := &pconfig.Config{Mirrors: mirrors, Node: pconfig.Node{CA: ca, Fallback: &fallback}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return writeHostDir(t, cfg)
}

// TestResolveThroughTheProxy resolves the held images with containerd's
// resolver on the generated host files, on a node that reaches nothing but
// loopback: each must resolve through its pull-through proxy to the
// upstream's digest, asking no other host, in both layouts. The path-prefix
// layout (Harbor, Artifactory, ECR) is served by a path-routing front, as no
// Distribution registry serves a repository prefix itself.
func TestResolveThroughTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts registry processes")
	}
	set := registry.StartForTest(t, registry.Options{Hosts: []string{"docker.io", "ghcr.io"}})
	ctx := t.Context()
	digests, err := set.Seed(ctx,
		registry.Image{Ref: "nginx:1.27", Platforms: []string{"linux/amd64", "linux/arm64"}},
		registry.Image{Ref: "docker.io/bitnami/redis:7"},
		registry.Image{Ref: "ghcr.io/org/team/tool:v1"},
	)
	if err != nil {
		t.Fatal(err)
	}
	hub, ghcr := set.Proxy("docker.io").Addr, set.Proxy("ghcr.io").Addr
	hubFront := newFront(t, &url.URL{Scheme: "https", Host: hub}, "dockerhub", set.Transport())
	ghcrFront := newFront(t, &url.URL{Scheme: "https", Host: ghcr}, "ghcr", set.Transport())
	frontCA := writeCA(t)

	layouts := []struct {
		name    string
		mirrors []rewrite.Mirror
		ca      string
		proxy   map[string]string // registry of the image -> the one host containerd may ask
		fronts  []*front
	}{{
		name:    "bare host",
		mirrors: []rewrite.Mirror{{Source: "docker.io", Target: hub}, {Source: "ghcr.io", Target: ghcr}},
		ca:      set.CAFile,
		proxy:   map[string]string{"docker.io": hub, "ghcr.io": ghcr},
	}, {
		name: "path prefix",
		mirrors: []rewrite.Mirror{
			{Source: "docker.io", Target: hubFront.host() + "/dockerhub"},
			{Source: "ghcr.io", Target: ghcrFront.host() + "/ghcr"},
		},
		ca:     frontCA,
		proxy:  map[string]string{"docker.io": hubFront.host(), "ghcr.io": ghcrFront.host()},
		fronts: []*front{hubFront, ghcrFront},
	}}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			dir := hostConfig(t, l.mirrors, l.ca, true)
			for _, img := range held {
				res := resolve(ctx, dir, img.ref)
				want := digests[img.seeded]
				registryOf := "docker.io"
				if strings.HasPrefix(img.ref, "ghcr.io/") {
					registryOf = "ghcr.io"
				}
				if res.err != nil || res.digest.String() != want {
					t.Errorf("%s: resolved %s (%v), want the upstream's %s", img.ref, res.digest, res.err, want)
				}
				if !slices.Equal(res.asked, []string{l.proxy[registryOf]}) {
					t.Errorf("%s: containerd asked %q, want only the proxy %s", img.ref, res.asked, l.proxy[registryOf])
				}
			}
			for _, f := range l.fronts {
				if f.served.Load() == 0 {
					t.Errorf("the front at %s served no image request", f.host())
				}
			}
		})
	}
}

// TestProxyDown shows the two fallback settings with the proxy unreachable:
// with fallback containerd goes on to the public registry (which this
// loopback-only node cannot reach, so the pull fails after asking it);
// without, it asks the proxy alone.
func TestProxyDown(t *testing.T) {
	down := newFront(t, &url.URL{Scheme: "https", Host: "127.0.0.1:1"}, "", nil)
	down.Close()
	mirrors := []rewrite.Mirror{{Source: "docker.io", Target: down.host()}}
	for _, tc := range []struct {
		fallback bool
		asked    []string
	}{
		{true, []string{down.host(), "registry-1.docker.io"}},
		{false, []string{down.host()}},
	} {
		res := resolve(t.Context(), hostConfig(t, mirrors, writeCA(t), tc.fallback), "docker.io/library/nginx:1.27")
		if res.err == nil || !slices.Equal(res.asked, tc.asked) {
			t.Errorf("fallback %v: asked %q (err %v), want %q and an error", tc.fallback, res.asked, res.err, tc.asked)
		}
	}
}
