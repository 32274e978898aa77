package rewrite

import (
	"testing"

	"sigs.k8s.io/yaml"
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
`

// newTestRewriter builds a Rewriter from the mirrors and exclude.images of
// YAML in the config file's layout, and a plain list publicRegistries
// (DefaultPublicRegistries when absent), or fails the test.
func newTestRewriter(t testing.TB, doc string) *Rewriter {
	t.Helper()
	var cfg struct {
		Mirrors []Mirror `json:"mirrors"`
		Exclude struct {
			Images []string `json:"images"`
		} `json:"exclude"`
		PublicRegistries *[]string `json:"publicRegistries"`
	}
	if err := yaml.UnmarshalStrict([]byte(doc), &cfg); err != nil {
		t.Fatalf("test config: %v", err)
	}
	public := DefaultPublicRegistries
	if cfg.PublicRegistries != nil {
		public = *cfg.PublicRegistries
	}
	r, err := New(Rules{Mirrors: cfg.Mirrors, ExcludeImages: cfg.Exclude.Images, PublicRegistries: public})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}
