package rewrite

import (
	"strings"
	"testing"
)

const digest = "sha256:4b1b2e5d6c1e0c7a0c3b4a3f6e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"

func TestRewrite(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, testConfig)
	tests := []struct {
		name, image, want string
		outcome           Outcome
		rule              string
	}{
		// Docker Hub's implicit forms must all land under library/.
		{"familiar official image", "nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeRewritten, "docker.io"},
		{"familiar with tag", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", OutcomeRewritten, "docker.io"},
		{"familiar user repo", "grafana/grafana:11.0.0", "proxy.example.internal/dockerhub/grafana/grafana:11.0.0", OutcomeRewritten, "docker.io"},
		{"explicit docker.io no library", "docker.io/nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeRewritten, "docker.io"},
		{"explicit library", "docker.io/library/nginx:latest", "proxy.example.internal/dockerhub/library/nginx:latest", OutcomeRewritten, "docker.io"},
		// The aliases of Docker Hub must not slip past its mirror.
		{"alias index.docker.io", "index.docker.io/library/redis:7", "proxy.example.internal/dockerhub/library/redis:7", OutcomeRewritten, "docker.io"},
		{"alias index.docker.io familiar", "index.docker.io/redis", "proxy.example.internal/dockerhub/library/redis", OutcomeRewritten, "docker.io"},
		{"alias registry-1", "registry-1.docker.io/calico/node:v3.28.0", "proxy.example.internal/dockerhub/calico/node:v3.28.0", OutcomeRewritten, "docker.io"},
		{"alias registry-1 familiar", "registry-1.docker.io/nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeRewritten, "docker.io"},
		{"alias hub", "registry.hub.docker.com/istio/proxyv2:1.22.0", "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", OutcomeRewritten, "docker.io"},
		// Hosts compare case-insensitively; paths must be lower case.
		{"upper-case host", "Docker.IO/library/nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeRewritten, "docker.io"},
		{"upper-case familiar host", "Docker.IO/nginx", "proxy.example.internal/dockerhub/library/nginx", OutcomeRewritten, "docker.io"},
		{"upper-case ghcr", "GHCR.io/acme/app:1", "proxy.example.internal/ghcr/acme/app:1", OutcomeRewritten, "ghcr.io"},
		{"upper-case path", "ghcr.io/Acme/app", "ghcr.io/Acme/app", OutcomeUnparseable, ""},
		// Tag and digest are kept exactly as written; none is invented.
		{"digest only", "quay.io/calico/node@" + digest, "proxy.example.internal/quay/calico/node@" + digest, OutcomeRewritten, "quay.io"},
		{"tag and digest", "nginx:1.27@" + digest, "proxy.example.internal/dockerhub/library/nginx:1.27@" + digest, OutcomeRewritten, "docker.io"},
		{"no tag stays no tag", "ghcr.io/acme/app", "proxy.example.internal/ghcr/acme/app", OutcomeRewritten, "ghcr.io"},
		// Ports: on the source, and on the target.
		{"source with port", "registry.local:5000/team/app:2", "proxy.example.internal/local/team/app:2", OutcomeRewritten, "registry.local:5000"},
		{"same host other port", "registry.local:5001/team/app:2", "registry.local:5001/team/app:2", OutcomeNoRule, ""},
		{"target with port", "public.ecr.aws/nginx/nginx:1", "proxy.example.internal:8443/ecr/nginx/nginx:1", OutcomeRewritten, "public.ecr.aws"},
		// Longest prefix wins, on a path-segment boundary only.
		{"longest prefix", "docker.io/bitnami/redis:7", "proxy.example.internal/bitnami/redis:7", OutcomeRewritten, "docker.io/bitnami"},
		{"familiar longest prefix", "bitnami/redis", "proxy.example.internal/bitnami/redis", OutcomeRewritten, "docker.io/bitnami"},
		{"prefix needs boundary", "docker.io/bitnamix/redis", "proxy.example.internal/dockerhub/bitnamix/redis", OutcomeRewritten, "docker.io"},
		{"short prefix own boundary", "docker.io/bit/x", "proxy.example.internal/bit/x", OutcomeRewritten, "docker.io/bit"},
		// Host confusion must not route a foreign host through a mirror.
		{"suffix host", "docker.io.evil.com/x/y:1", "docker.io.evil.com/x/y:1", OutcomeNoRule, ""},
		{"host in path", "evil.com/docker.io/library/nginx", "evil.com/docker.io/library/nginx", OutcomeNoRule, ""},
		{"prefix host", "mydocker.io/x", "mydocker.io/x", OutcomeNoRule, ""},
		{"sub-domain of source", "eu.gcr.io/proj/img", "eu.gcr.io/proj/img", OutcomeUnroutedPublic, ""},
		{"k8s registry", "registry.k8s.io/coredns/coredns:v1.11.1", "proxy.example.internal/k8s/coredns/coredns:v1.11.1", OutcomeRewritten, "registry.k8s.io"},
		{"localhost no rule", "localhost/app", "localhost/app", OutcomeNoRule, ""},
		// Fixed point: targets are never rewritten again.
		{"already proxied", "proxy.example.internal/dockerhub/library/nginx:1", "proxy.example.internal/dockerhub/library/nginx:1", OutcomeAlreadyProxied, ""},
		{"already proxied port target", "proxy.example.internal:8443/ecr/x", "proxy.example.internal:8443/ecr/x", OutcomeAlreadyProxied, ""},
		{"proxy host other path", "proxy.example.internal/other/x", "proxy.example.internal/other/x", OutcomeNoRule, ""},
		// Exclusion globs apply to the normalized reference.
		{"excluded glob familiar", "busybox:1.36", "busybox:1.36", OutcomeExcludedImage, ""},
		{"excluded glob no tag", "busybox", "busybox", OutcomeExcludedImage, ""},
		{"excluded exact name any tag", "ghcr.io/acme/secret:9", "ghcr.io/acme/secret:9", OutcomeExcludedImage, ""},
		{"excluded star one segment", "quay.io/skip/a", "quay.io/skip/a", OutcomeExcludedImage, ""},
		{"star does not cross slash", "quay.io/skip/a/b", "proxy.example.internal/quay/skip/a/b", OutcomeRewritten, "quay.io"},
		{"not excluded neighbour", "ghcr.io/acme/secrets", "proxy.example.internal/ghcr/acme/secrets", OutcomeRewritten, "ghcr.io"},
		// Unparseable input is left for the kubelet to report.
		{"empty", "", "", OutcomeUnparseable, ""},
		{"spaces", "nginx latest", "nginx latest", OutcomeUnparseable, ""},
		{"bad tag", "nginx:", "nginx:", OutcomeUnparseable, ""},
		{"bare digest id", strings.Repeat("a", 64), strings.Repeat("a", 64), OutcomeUnparseable, ""},
		{"scheme", "https://docker.io/nginx", "https://docker.io/nginx", OutcomeUnparseable, ""},
		// A result the reference grammar rejects is refused.
		{"too long result", "ghcr.io/" + strings.Repeat("a", 252), "ghcr.io/" + strings.Repeat("a", 252), OutcomeInvalidResult, "ghcr.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := r.Rewrite(tt.image)
			if got.Image != tt.want || got.Outcome != tt.outcome || got.Rule != tt.rule {
				t.Errorf("Rewrite(%q) = {%q %s %q}, want {%q %s %q}", tt.image, got.Image, got.Outcome, got.Rule, tt.want, tt.outcome, tt.rule)
			}
			if again := r.Rewrite(got.Image); again.Image != got.Image {
				t.Errorf("not a fixed point: Rewrite(%q) = %q", got.Image, again.Image)
			}
		})
	}
}

// bareHostConfig has targets without a path, and a source that names a
// whole repository: a rewrite must never produce a name without a path.
const bareHostConfig = `
mirrors:
  - {source: ghcr.io/acme/app, target: proxy.internal}
  - {source: quay.io, target: localhost:5000}
  - {source: docker.io, target: proxy.internal:8443}
exclude:
  images: ["Docker.IO/library/alpine*", "index.docker.io/library/redis"]
`

func TestRewriteBareHostTargets(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, bareHostConfig)
	checkDecisions(t, "Rewrite", r.Rewrite, []decision{
		// ghcr.io/acme/app itself would become "proxy.internal:1", which reads
		// back as docker.io/library/proxy.internal:1.
		{"whole repository to bare host", "ghcr.io/acme/app:1", "ghcr.io/acme/app:1", OutcomeInvalidResult},
		{"below the repository", "ghcr.io/acme/app/worker:1", "proxy.internal/worker:1", OutcomeRewritten},
		{"bare host with port", "quay.io/calico/node:v3", "localhost:5000/calico/node:v3", OutcomeRewritten},
		{"docker hub to bare host", "nginx", "proxy.internal:8443/library/nginx", OutcomeRewritten},
		// Exclusion globs are canonicalized like the names they match.
		{"glob host case and alias folded", "alpine:3.20", "alpine:3.20", OutcomeExcludedImage},
		{"alias glob matches familiar name", "redis:7", "redis:7", OutcomeExcludedImage},
	})
}

// decision is one input and the image and outcome it must get.
type decision struct {
	name, in, want string
	outcome        Outcome
}

// checkDecisions runs a table of decisions through decide (Rewrite or
// RewritePrefix), in parallel subtests.
func checkDecisions(t *testing.T, fn string, decide func(string) Result, tests []decision) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decide(tt.in)
			if got.Image != tt.want || got.Outcome != tt.outcome {
				t.Errorf("%s(%q) = {%q %s}, want {%q %s}", fn, tt.in, got.Image, got.Outcome, tt.want, tt.outcome)
			}
		})
	}
}

func TestRewriteWithholding(t *testing.T) {
	t.Parallel()
	enforce := newTestRewriter(t, testConfig)
	// What config.Config.Rewriter builds for mode: audit.
	audit := enforce.Withholding(OutcomeAudit)
	tests := []struct {
		name    string
		r       *Rewriter
		image   string
		outcome Outcome
		applied bool
	}{
		{"enforce applies", enforce, "nginx", OutcomeRewritten, true},
		{"audit config withholds", audit, "nginx", OutcomeAudit, false},
		{"audit path withholds", enforce.Withholding(OutcomeAudit), "nginx", OutcomeAudit, false},
		{"proxy down withholds", enforce.Withholding(OutcomeProxyUnhealthy), "nginx", OutcomeProxyUnhealthy, false},
		// Audit asked for in the config stays audit when the proxy is also down.
		{"audit config wins", audit.Withholding(OutcomeProxyUnhealthy), "nginx", OutcomeAudit, false},
		{"no rule unaffected", enforce.Withholding(OutcomeAudit), "example.com/x", OutcomeNoRule, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Rewrite(tt.image)
			if got.Outcome != tt.outcome {
				t.Fatalf("outcome = %s, want %s", got.Outcome, tt.outcome)
			}
			if applied := got.Image != tt.image; applied != tt.applied {
				t.Errorf("applied = %v (image %q), want %v", applied, got.Image, tt.applied)
			}
			if tt.outcome != OutcomeNoRule && got.Proposed != "proxy.example.internal/dockerhub/library/nginx" {
				t.Errorf("Proposed = %q", got.Proposed)
			}
		})
	}
}

func TestRewritePrefix(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, testConfig)
	checkDecisions(t, "RewritePrefix", r.RewritePrefix, []decision{
		{"host", "quay.io", "proxy.example.internal/quay", OutcomeRewritten},
		{"host trailing slash kept", "quay.io/", "proxy.example.internal/quay/", OutcomeRewritten},
		{"namespace gains no library", "docker.io/istio", "proxy.example.internal/dockerhub/istio", OutcomeRewritten},
		{"alias namespace", "index.docker.io/istio", "proxy.example.internal/dockerhub/istio", OutcomeRewritten},
		{"longest prefix", "docker.io/bitnami", "proxy.example.internal/bitnami", OutcomeRewritten},
		{"already proxied", "proxy.example.internal/quay/", "proxy.example.internal/quay/", OutcomeAlreadyProxied},
		{"no rule", "example.com/istio", "example.com/istio", OutcomeNoRule},
		{"not a host", "istio", "istio", OutcomeUnparseable},
		{"double slash", "quay.io//", "quay.io//", OutcomeUnparseable},
		{"excluded prefix", "quay.io/skip/a", "quay.io/skip/a", OutcomeExcludedImage},
	})
}
