package rewrite

import "testing"

func TestSourceOf(t *testing.T) {
	t.Parallel()
	r, err := New(Rules{Mirrors: []Mirror{
		{Source: "docker.io", Target: "proxy.internal/hub"},
		{Source: "docker.io/bitnami", Target: "proxy.internal/hub-bitnami"},
		{Source: "ghcr.io", Target: "Proxy.Internal:443/ghcr"},
		{Source: "quay.io", Target: "quay-proxy.internal"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, image, want string
	}{
		{"under a target", "proxy.internal/hub/library/nginx:1.27", "docker.io"},
		// The longer target wins, as the longer source does when rewriting.
		{"the mirror of a path", "proxy.internal/hub-bitnami/redis@sha256:" + sixtyFour, "docker.io/bitnami"},
		// Registry identity: case and the default port fold together.
		{"another spelling of the host", "proxy.internal/ghcr/acme/app:1", "ghcr.io"},
		{"a bare-host target", "quay-proxy.internal/calico/node:v3", "quay.io"},
		// A path-segment boundary: hub-bitnami is not under hub.
		{"no segment boundary", "proxy.internal/hubx/a:1", ""},
		{"a source, not a target", "docker.io/library/nginx", ""},
		{"unparseable", "Bad:Ref", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := r.SourceOf(tc.image); got != tc.want {
				t.Errorf("SourceOf(%s) = %q, want %q", tc.image, got, tc.want)
			}
		})
	}
}

const sixtyFour = "1111111111111111111111111111111111111111111111111111111111111111"
