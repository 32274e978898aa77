package registry

import (
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/resolve"
)

// TestProxyKinds plays the proxies' failures on real registries: the
// ECR-like proxy refuses a digest (pinned alone or behind a tag) until a tag
// of the repository was pulled through it, then serves it; the Harbor-like
// proxy serves a cached tag until the upstream deletes it, then answers 404,
// while Distribution's own proxy keeps serving it from its cache and the
// digest stays served; the upstream itself no longer has the tag.
func TestProxyKinds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts registry processes")
	}
	s := StartForTest(t, Options{Hosts: []string{"docker.io", "ghcr.io", "quay.io"},
		Kinds: map[string]ProxyKind{"ghcr.io": ProxyECR, "quay.io": ProxyHarbor}})
	ctx := t.Context()
	const ecrImage, harborImage, plainImage = "ghcr.io/acme/app:1", "quay.io/acme/tool:2", "docker.io/acme/tool:2"
	digests, err := s.Seed(ctx, Image{Ref: ecrImage}, Image{Ref: harborImage}, Image{Ref: plainImage})
	if err != nil {
		t.Fatal(err)
	}
	check := resolve.NewChecker(s.Transport(), resolve.Credentials{})
	want := func(ref string, status resolve.Status) {
		t.Helper()
		if got := check.Check(ctx, ref); got.Status != status {
			t.Errorf("HEAD %s: %s (%v), want %s", ref, got.Status, got.Err, status)
		}
	}
	ecr, harbor, plain := s.Proxy("ghcr.io").Addr+"/acme/app", s.Proxy("quay.io").Addr+"/acme/tool", s.Proxy("docker.io").Addr+"/acme/tool"

	d := digests[ecrImage]
	want(ecr+"@"+d, resolve.StatusNotFound)
	want(ecr+":1@"+d, resolve.StatusNotFound)
	if _, err := s.Pull(ctx, ecr+"@"+d, resolve.Credentials{}); err == nil || !strings.Contains(err.Error(), "MANIFEST_UNKNOWN") {
		t.Errorf("pull by digest before the tag: err = %v, want MANIFEST_UNKNOWN", err)
	}
	pullEqual(t, s, ecr+":1", resolve.Credentials{}, d)
	want(ecr+"@"+d, resolve.StatusServed)
	want(ecr+":1@"+d, resolve.StatusServed)

	for ref, img := range map[string]string{harbor + ":2": harborImage, plain + ":2": plainImage} {
		want(ref, resolve.StatusServed)
		pullEqual(t, s, ref, resolve.Credentials{}, digests[img]) // now in the proxy's cache
	}
	for _, img := range []string{harborImage, plainImage} {
		if err := s.DeleteTag(ctx, img); err != nil {
			t.Fatal(err)
		}
	}
	want(harbor+":2", resolve.StatusNotFound)
	want(harbor+"@"+digests[harborImage], resolve.StatusServed)
	want(plain+":2", resolve.StatusServed)
	upstream, err := s.UpstreamRef(harborImage)
	if err != nil {
		t.Fatal(err)
	}
	want(upstream, resolve.StatusNotFound)
}
