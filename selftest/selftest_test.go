package selftest

import (
	"reflect"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

func TestParseTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		items   []string
		want    []Target
		wantErr bool
	}{
		{"a bare namespace is enforce", []string{"shop"}, []Target{{"shop", config.ModeEnforce}}, false},
		{"both modes", []string{"shop=enforce", "legacy=audit"}, []Target{{"shop", config.ModeEnforce}, {"legacy", config.ModeAudit}}, false},
		// An off namespace is never sent to the webhook: nothing to prove there.
		{"off is never probed", []string{"shop=off"}, nil, true},
		{"a mistyped mode", []string{"shop=Audit"}, nil, true},
		{"no namespace", []string{"=audit"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTargets(tt.items)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTargets(%q) = %v, %v; want %v, error %v", tt.items, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestExpectation(t *testing.T) {
	t.Parallel()
	cfg := func(mode config.Mode) *config.Config {
		c := &config.Config{
			Mirrors: []rewrite.Mirror{{Source: "ghcr.io", Target: "proxy.corp.internal/ghcr"}, {Source: "docker.io", Target: "proxy.corp.internal/hub"}},
			Exclude: config.Exclude{Images: []string{"ghcr.io/pullthrough-selftest/*"}, Namespaces: []string{"kube-*"}},
			Mode:    mode,
		}
		c.Default()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name                string
		cfg                 *config.Config
		ns                  string
		mode                config.Mode
		probe, want, annotn string
		wantErr             bool
	}{
		// The first source's probe is excluded: the next one is used.
		{"enforce", cfg(config.ModeEnforce), "shop", config.ModeEnforce, "docker.io/pullthrough-selftest/probe:1",
			"proxy.corp.internal/hub/pullthrough-selftest/probe:1", "pullthrough.dev/original-images", false},
		{"audit path", cfg(config.ModeEnforce), "shop", config.ModeAudit, "docker.io/pullthrough-selftest/probe:1",
			"docker.io/pullthrough-selftest/probe:1", "pullthrough.dev/would-rewrite", false},
		// The config's audit mode withholds on the enforce path too.
		{"audit mode", cfg(config.ModeAudit), "shop", config.ModeEnforce, "docker.io/pullthrough-selftest/probe:1",
			"docker.io/pullthrough-selftest/probe:1", "pullthrough.dev/would-rewrite", false},
		{"excluded namespace", cfg(config.ModeEnforce), "kube-system", config.ModeEnforce, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe, rewritten, err := probeImage(tt.cfg, tt.ns)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want, annotation := expect(tt.cfg.ModeIn(tt.mode), probe, rewritten)
			if probe != tt.probe || want != tt.want || annotation != tt.annotn {
				t.Errorf("probe %s -> %s with %s; want %s -> %s with %s", probe, want, annotation, tt.probe, tt.want, tt.annotn)
			}
		})
	}
}
