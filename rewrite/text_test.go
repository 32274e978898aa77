package rewrite

import "testing"

func TestText(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, testConfig)
	tests := []struct {
		name, in, want string
		rewritten      int
	}{
		{"istio hub json", `{"global":{"hub":"docker.io/istio","tag":"1.22.0"}}`, `{"global":{"hub":"proxy.example.internal/dockerhub/istio","tag":"1.22.0"}}`, 1},
		{"full image in yaml", "image: quay.io/calico/node:v3.28.0\n", "image: proxy.example.internal/quay/calico/node:v3.28.0\n", 1},
		{"two references", "a=ghcr.io/x/y:1 b=registry.k8s.io/pause:3.9", "a=proxy.example.internal/ghcr/x/y:1 b=proxy.example.internal/k8s/pause:3.9", 2},
		{"bare registry host", `registry: "quay.io/"`, `registry: "proxy.example.internal/quay/"`, 1},
		{"docker hub namespace gets no library", "hub: index.docker.io/istio", "hub: proxy.example.internal/dockerhub/istio", 1},
		{"docker hub image gets library", "image: docker.io/nginx:1", "image: proxy.example.internal/dockerhub/library/nginx:1", 1},
		// Implicit Docker Hub names are never guessed at in free text.
		{"implicit name untouched", "image: nginx:1.27", "image: nginx:1.27", 0},
		{"url untouched", "endpoint: https://quay.io/v2/", "endpoint: https://quay.io/v2/", 0},
		{"host in path untouched", "evil.com/docker.io/x", "evil.com/docker.io/x", 0},
		{"suffix host untouched", "docker.io.evil.com/x", "docker.io.evil.com/x", 0},
		{"already proxied untouched", "proxy.example.internal/ghcr/x:1", "proxy.example.internal/ghcr/x:1", 0},
		{"excluded image untouched", "docker.io/library/busybox:1", "docker.io/library/busybox:1", 0},
		{"no reference", "replicas: 3", "replicas: 3", 0},
		// A host with a port is a prefix, not an image tagged "5000".
		{"host with port", "hub: registry.local:5000", "hub: proxy.example.internal/local", 1},
		{"excluded prefix untouched", "repo: docker.io/library/busybox", "repo: docker.io/library/busybox", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, changes := r.Text(tt.in)
			if got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			n := 0
			for _, c := range changes {
				if c.Outcome == OutcomeRewritten {
					n++
					if tt.in[c.Offset:c.Offset+len(c.Old)] != c.Old {
						t.Errorf("change offset %d does not point at %q", c.Offset, c.Old)
					}
				}
			}
			if n != tt.rewritten {
				t.Errorf("%d rewritten, want %d (%+v)", n, tt.rewritten, changes)
			}
			if again, _ := r.Text(got); again != got {
				t.Errorf("not a fixed point: %q -> %q", got, again)
			}
		})
	}
}

func TestTextSpellings(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, spellingConfig)
	for in, want := range map[string]string{
		`{"hub":"docker.io:443/istio","tag":"1.22"}`:  `{"hub":"Proxy.Example.Internal:443/dockerhub/istio","tag":"1.22"}`,
		"image: GHCR.io:443/acme/app:1":               "image: proxy.example.internal/ghcr/acme/app:1",
		"registry: quay.io:443/":                      "registry: proxy.example.internal/quay/",
		"a: registry.k8s.io:443/pause:3.9":            "a: proxy.example.internal/k8s/pause:3.9",
		"a: registry-1.docker.io:443/library/nginx:1": "a: Proxy.Example.Internal:443/dockerhub/library/nginx:1",
		"a: ghcr.io:5000/acme/app:1":                  "a: ghcr.io:5000/acme/app:1",
		"a: proxy.example.internal:443/ghcr/x:1":      "a: proxy.example.internal:443/ghcr/x:1",
	} {
		if got, _ := r.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
