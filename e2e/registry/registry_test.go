package registry

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullthrough/pullthrough/resolve"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"/v2/", KindOther},
		{"/v2/library/nginx/manifests/1.27", KindManifest},
		{"/v2/org/team/tool/manifests/sha256:abc", KindManifest},
		{"/v2/library/nginx/blobs/sha256:abc", KindBlob},
		{"/v2/library/nginx/blobs/uploads/", KindOther},
		{"/v2/library/nginx/tags/list", KindOther},
	}
	for _, tt := range tests {
		if got := kindOf(tt.path); got != tt.want {
			t.Errorf("kindOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestPullThrough seeds an upstream, pulls through its proxy (with and without auth)
// and directly, and checks digests, what reached the upstream, and a proxy restart.
func TestPullThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts registry processes")
	}
	s := StartForTest(t, Options{Hosts: []string{"docker.io", "ghcr.io"}, AuthHosts: []string{"docker.io"}})
	ctx := t.Context()
	digests, err := s.Seed(ctx,
		Image{Ref: "nginx:1.27", Platforms: []string{"linux/amd64", "linux/arm64"}},
		Image{Ref: "ghcr.io/org/team/tool:v1"},
	)
	if err != nil {
		t.Fatal(err)
	}
	creds := resolve.Credentials{}
	config, err := s.DockerConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := creds.Add("harness", config); err != nil {
		t.Fatal(err)
	}
	hub, ghcr := s.Proxy("docker.io"), s.Proxy("ghcr.io")
	nginx := hub.Addr + "/library/nginx:1.27"
	tool := ghcr.Addr + "/org/team/tool:v1"

	if _, err := s.Pull(ctx, nginx, authn.NewMultiKeychain()); err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("anonymous pull through the auth proxy: err = %v, want UNAUTHORIZED", err)
	}
	before := s.Upstream("docker.io").Counts()
	for range 3 {
		pullEqual(t, s, nginx, creds, digests["nginx:1.27"])
	}
	through := s.Upstream("docker.io").Counts().Sub(before)
	pullEqual(t, s, tool, creds, digests["ghcr.io/org/team/tool:v1"])
	pullEqual(t, s, tool+"@"+digests["ghcr.io/org/team/tool:v1"], creds, digests["ghcr.io/org/team/tool:v1"])

	before = s.Upstream("docker.io").Counts()
	for range 3 {
		pullEqual(t, s, s.Upstream("docker.io").Addr+"/library/nginx:1.27", creds, digests["nginx:1.27"])
	}
	direct := s.Upstream("docker.io").Counts().Sub(before)
	get := Request{Method: "GET", Kind: KindManifest}
	t.Logf("3 pulls of a 2-platform index: direct %v, through the proxy %v", direct, through)
	// Direct: the index and the image manifest on every pull. Through the proxy: each
	// fetched once, later pulls answered from the cache (tags re-checked with HEAD).
	if direct[get] != 6 || through[get] > 2 {
		t.Fatalf("manifest GETs direct %d (want 6), through the proxy %d (want <= 2); direct %v, through %v",
			direct[get], through[get], direct, through)
	}

	if err := ghcr.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(ctx, tool, creds); err == nil {
		t.Fatal("pull through a stopped proxy succeeded")
	}
	if err := ghcr.Start(); err != nil {
		t.Fatal(err)
	}
	pullEqual(t, s, tool, creds, digests["ghcr.io/org/team/tool:v1"])
}

func pullEqual(t *testing.T, s *Set, ref string, keychain authn.Keychain, want string) {
	t.Helper()
	got, err := s.Pull(t.Context(), ref, keychain)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("%s resolved to %s, want %s", ref, got, want)
	}
}
