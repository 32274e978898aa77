package rewrite

import (
	"testing"

	"github.com/distribution/reference"
)

// benchImages is a typical mix: Docker Hub familiar, explicit registries,
// a digest, an already-proxied image and one with no rule.
var benchImages = []string{
	"nginx:1.27", "docker.io/bitnami/redis:7.2", "quay.io/calico/node:v3.28.0",
	"ghcr.io/acme/app@" + digest, "proxy.example.internal/k8s/pause:3.9", "registry.corp.example/team/app:2",
}

// BenchmarkParse is the baseline: parsing alone, as Rewrite must do anyway.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := reference.ParseNormalizedNamed(benchImages[i%len(benchImages)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewrite is the whole decision for the same images, as a running
// webhook makes it: after the first, their parses come from the memo
// (parseImage), so its ratio to BenchmarkParse is routing's cost less what
// the memo saves.
func BenchmarkRewrite(b *testing.B) {
	r := newTestRewriter(b, testConfig)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Rewrite(benchImages[i%len(benchImages)])
	}
}
