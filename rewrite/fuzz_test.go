package rewrite

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
)

// FuzzRewrite checks the contract on arbitrary input, under three mirror sets
// (path targets, bare-host targets with a whole-repository source, targets
// spelled with a port and upper case): no panic; a rewritten result parses,
// keeps its rule's target host and starts with its target as configured, and
// is a fixed point; an image whose registry is a mirror source is never
// no-rule; and every other spelling of the image's registry gets the same
// decision, and an unrouted public image is labelled by a list entry.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.27@" + digest, "docker.io/bitnami/redis:7", "registry-1.docker.io/x",
		"Docker.IO/nginx", "ghcr.io/acme/app", "registry.local:5000/a/b:c", "docker.io.evil.com/x",
		"proxy.example.internal/dockerhub/library/nginx", "", "a:b@c", "[::1]:5000/x",
		"ghcr.io:443/acme/app:1", "registry-1.docker.io:443/library/nginx", "Docker.IO:0443/nginx",
		"mcr.microsoft.com/dotnet/runtime:8.0", "EU.gcr.io:443/p/a", "europe-docker.pkg.dev/p/r/a:1",
	} {
		f.Add(s)
	}
	rewriters := []*Rewriter{newTestRewriter(f, testConfig), newTestRewriter(f, bareHostConfig), newTestRewriter(f, spellingConfig)}
	f.Fuzz(func(t *testing.T, image string) {
		for _, r := range rewriters {
			checkRewrite(t, r, image)
			checkSpellings(t, r, image)
		}
	})
}

// checkSpellings asserts that no spelling of a mirrored registry escapes its
// rule: an image whose registry is a source is never no-rule, and writing
// the registry in upper case, with the default port or as a Docker Hub alias
// changes nothing in the decision.
func checkSpellings(t *testing.T, r *Rewriter, image string) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return
	}
	res := r.Rewrite(image)
	if res.Outcome == OutcomeUnroutedPublic && !defaultLabels[res.Public] {
		t.Fatalf("%q is unrouted-public under %q, which is not a list entry: the label would be unbounded", image, res.Public)
	}
	host := reference.Domain(named)
	for _, rl := range r.rules {
		if rl.source == CanonicalHost(host) && res.Outcome == OutcomeNoRule {
			t.Fatalf("%q is on mirror source %q but came out no-rule", image, rl.source)
		}
	}
	spellings := []string{strings.ToUpper(host)}
	if !strings.HasSuffix(host, "]") && !strings.Contains(host, ":") {
		spellings = append(spellings, host+":443", host+":0443")
	}
	if CanonicalHost(host) == DockerHub {
		spellings = append(spellings, "registry-1.docker.io:443", "Index.Docker.IO", "registry.hub.docker.com")
	}
	for _, h := range spellings {
		respelled := h + "/" + reference.Path(named) + tagAndDigest(named)
		if _, err := reference.ParseNormalizedNamed(respelled); err != nil {
			continue // the longer host outgrew the grammar's limit
		}
		got := r.Rewrite(respelled)
		if got.Outcome != res.Outcome || got.Registry() != res.Registry() || (res.Outcome == OutcomeRewritten && got.Image != res.Image) {
			t.Fatalf("%q -> {%q %s %q} but its spelling %q -> {%q %s %q}",
				image, res.Image, res.Outcome, res.Registry(), respelled, got.Image, got.Outcome, got.Registry())
		}
	}
}

// defaultLabels are the canonical entries of DefaultPublicRegistries, the
// only registry labels an unrouted-public image may carry in FuzzRewrite.
var defaultLabels = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range DefaultPublicRegistries {
		canonical, _ := ParsePublicRegistry(e)
		m[canonical] = true
	}
	return m
}()

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
