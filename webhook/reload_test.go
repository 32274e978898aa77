package webhook

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/liveconfig"
)

// TestStateFollowsReloads: the routing a State serves moves with the config
// liveconfig puts in force, and a config whose routing cannot be built, or
// that needs a namespace watch the process does not have, is refused.
func TestStateFollowsReloads(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.crt")
	tests := []struct {
		name       string
		config     string
		watch      bool   // the process watches namespaces
		wantErr    string // "" when accepted
		wantTarget string // the first mirror's target in force after the commit
	}{
		{"a valid config is put in force", "mirrors: [{source: docker.io, target: proxy-b.example/hub}]\n", false, "", "proxy-b.example/hub"},
		{"a proxy CA bundle that cannot be read is refused", "mirrors: [{source: docker.io, target: proxy-b.example/hub}]\nproxyHealth: {url: https://proxy-b.example/v2/, caBundle: " + missing + "}\n", false, "proxyHealth.caBundle", ""},
		// The process watches no namespaces (its first config had no
		// selector): routing every namespace as unlabelled would be wrong.
		{"a first namespaceSelector without a namespace watch is refused", "mirrors: [{source: docker.io, target: proxy-d.example/hub, namespaceSelector: {matchLabels: {t: a}}}]\n", false, errNoNamespaceWatch.Error(), ""},
		{"a namespaceSelector with a namespace watch is put in force", "mirrors: [{source: docker.io, target: proxy-d.example/hub, namespaceSelector: {matchLabels: {t: a}}}]\n", true, "", "proxy-d.example/hub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "testdata/config.yaml")
			if tt.watch {
				f.state.SetNamespaceLabels(namespaceMap{})
			}
			before := f.state.Routing()
			cfg, err := config.Parse([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			rw, err := cfg.Rewriter()
			if err != nil {
				t.Fatal(err)
			}
			commit, err := f.state.follow(&liveconfig.Snapshot{Config: cfg, Rewriter: rw})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("follow: %v, want an error naming %q", err, tt.wantErr)
				}
				if f.state.Routing() != before {
					t.Error("a refused config changed the routing in force")
				}
				return
			}
			if err != nil {
				t.Fatalf("follow: %v", err)
			}
			if f.state.Routing() != before {
				t.Error("the routing changed before the commit")
			}
			commit()
			if got := f.state.Routing().Config.Mirrors[0].Target; got != tt.wantTarget {
				t.Errorf("after the commit the target in force is %q, want %q", got, tt.wantTarget)
			}
		})
	}
}
