package rewrite

import (
	"testing"
)

// testConfig is the mirror set most tests route through. It covers the
// registries of the incident (Docker Hub, quay.io for Calico, ghcr.io,
// registry.k8s.io) plus cases for prefixes, ports and boundaries.
const testConfig = `
mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
  - {source: docker.io/bitnami, target: proxy.example.internal/bitnami}
  - {source: docker.io/bit, target: proxy.example.internal/bit}
  - {source: ghcr.io, target: proxy.example.internal/ghcr}
  - {source: quay.io, target: proxy.example.internal/quay}
  - {source: registry.k8s.io, target: proxy.example.internal/k8s}
  - {source: gcr.io, target: proxy.example.internal/gcr}
  - {source: public.ecr.aws, target: proxy.example.internal:8443/ecr}
  - {source: registry.local:5000, target: proxy.example.internal/local}
exclude:
  images: ["docker.io/library/busybox*", "ghcr.io/acme/secret", "quay.io/skip/*"]
  namespaces: ["pullthrough-system", "sandbox-*"]
`

// newTestRewriter builds a Rewriter from YAML or fails the test.
func newTestRewriter(t testing.TB, yaml string) *Rewriter {
	t.Helper()
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}
