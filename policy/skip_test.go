package policy

import (
	"slices"
	"testing"

	"github.com/pullthrough/pullthrough/config"
)

// TestSettled: a target host is settled, and the policies skip the images
// under it, only when no mirror's source and no public registry names it by
// any spelling: there a decision could still rewrite or warn.
func TestSettled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{"every target host once, as written", testConfigs["paths"], []string{"proxy.example.internal/", "proxy.example.internal:8443/"}},
		{"spellings of one host each", testConfigs["spellings"], []string{"PROXY.example.internal:443/", "proxy.example.internal:0443/", "proxy.example.internal/", "localhost:5000/"}},
		// A target on a source's host may be rewritten again by that source.
		{"a target host that is a source", `
mirrors:
  - {source: proxy.example.internal/legacy, target: proxy.example.internal/new}
  - {source: ghcr.io, target: cache.example.internal/ghcr}
`, []string{"cache.example.internal/"}},
		{"a target host that is public", `
mirrors:
  - {source: docker.io, target: ghcr.io/acme/hub}
  - {source: quay.io, target: quay-cache.azurecr.io/q}
publicRegistries: {add: ["*.azurecr.io"]}
`, nil},
		{"a target host by another spelling of a source's", `
mirrors:
  - {source: docker.io/library, target: Registry-1.Docker.IO:443/acme/lib}
publicRegistries: {builtIn: false}
`, nil},
	} {
		cfg, err := config.Parse([]byte(tc.config))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r, err := compileRules(cfg.Rules())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := r.settled(); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tc.want))) {
			t.Errorf("%s: settled %q, want %q", tc.name, got, tc.want)
		}
	}
}
