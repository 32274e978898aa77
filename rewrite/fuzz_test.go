package rewrite

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
)

// FuzzRewrite checks the contract on arbitrary input, under two mirror sets
// (path targets, and bare-host targets with a whole-repository source): no
// panic; a rewritten result parses, keeps its rule's target host and starts
// with its target, and is a fixed point.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.27@" + digest, "docker.io/bitnami/redis:7", "registry-1.docker.io/x",
		"Docker.IO/nginx", "ghcr.io/acme/app", "registry.local:5000/a/b:c", "docker.io.evil.com/x",
		"proxy.example.internal/dockerhub/library/nginx", "", "a:b@c", "[::1]:5000/x",
	} {
		f.Add(s)
	}
	rewriters := []*Rewriter{newTestRewriter(f, testConfig), newTestRewriter(f, bareHostConfig)}
	f.Fuzz(func(t *testing.T, image string) {
		for _, r := range rewriters {
			checkRewrite(t, r, image)
		}
	})
}

func checkRewrite(t *testing.T, r *Rewriter, image string) {
	targets := map[string]string{}
	for _, rl := range r.rules {
		targets[rl.source] = rl.target
	}
	{
		res := r.Rewrite(image)
		if res.Outcome != OutcomeRewritten {
			if res.Image != image {
				t.Fatalf("outcome %s changed %q to %q", res.Outcome, image, res.Image)
			}
			return
		}
		parsed, err := reference.ParseNormalizedNamed(res.Image)
		if err != nil {
			t.Fatalf("result %q of %q does not parse: %v", res.Image, image, err)
		}
		if host, _, _ := strings.Cut(targets[res.Rule], "/"); reference.Domain(parsed) != host {
			t.Fatalf("result %q of %q reads back on host %q, not the target's %q", res.Image, image, reference.Domain(parsed), host)
		}
		if !strings.HasPrefix(res.Image, targets[res.Rule]) {
			t.Fatalf("result %q does not start with target %q of rule %q", res.Image, targets[res.Rule], res.Rule)
		}
		if again := r.Rewrite(res.Image); again.Image != res.Image || again.Outcome != OutcomeAlreadyProxied {
			t.Fatalf("not a fixed point: %q -> %q (%s)", res.Image, again.Image, again.Outcome)
		}
	}
}

// FuzzText checks that free-text rewriting never panics and is a fixed point.
func FuzzText(f *testing.F) {
	for _, s := range []string{`{"hub":"docker.io/istio"}`, "image: quay.io/a/b:1\n", "https://quay.io/", "quay.io//x"} {
		f.Add(s)
	}
	r := newTestRewriter(f, testConfig)
	f.Fuzz(func(t *testing.T, s string) {
		once, _ := r.Text(s)
		if twice, _ := r.Text(once); twice != once {
			t.Fatalf("not a fixed point: %q -> %q -> %q", s, once, twice)
		}
	})
}
