package config

import (
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// routingConfig is a small config with excluded namespaces.
const routingConfig = `
mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
exclude:
  namespaces: ["pullthrough-system", "sandbox-*"]
`

func mustParse(t *testing.T, yaml string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNamespaceExcluded(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, routingConfig)
	for ns, want := range map[string]bool{
		"pullthrough-system": true,
		"sandbox-42":         true,
		"kube-system":        false, // never implicit: Calico and CoreDNS live there
		"default":            false,
	} {
		if got := cfg.NamespaceExcluded(ns); got != want {
			t.Errorf("NamespaceExcluded(%q) = %v, want %v", ns, got, want)
		}
	}
}

// TestRewriterMode: audit mode in the config withholds every rewrite, and
// stays audit when the proxy is also down.
func TestRewriterMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		outcome rewrite.Outcome
	}{
		{"enforce applies", routingConfig, rewrite.OutcomeRewritten},
		{"audit config withholds", routingConfig + "mode: audit\n", rewrite.OutcomeAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rw, err := mustParse(t, tt.yaml).Rewriter()
			if err != nil {
				t.Fatal(err)
			}
			if got := rw.Rewrite("nginx").Outcome; got != tt.outcome {
				t.Errorf("outcome = %s, want %s", got, tt.outcome)
			}
			if tt.outcome == rewrite.OutcomeAudit {
				if got := rw.Withholding(rewrite.OutcomeProxyUnhealthy).Rewrite("nginx").Outcome; got != rewrite.OutcomeAudit {
					t.Errorf("audit config with the proxy down: outcome = %s, want audit", got)
				}
			}
		})
	}
}

func TestFailOpen(t *testing.T) {
	t.Parallel()
	for yaml, want := range map[string]bool{
		routingConfig: false, // no probe, nothing to fail open on
		routingConfig + "proxyHealth: {url: 'https://p.example/v2/'}\n":                  true,
		routingConfig + "proxyHealth: {url: 'https://p.example/v2/', failOpen: false}\n": false,
	} {
		if got := mustParse(t, yaml).FailOpen(); got != want {
			t.Errorf("FailOpen() = %v, want %v for\n%s", got, want, yaml)
		}
	}
}

// TestModeOf holds every reader of the label to the chart's routing: no
// label or enforce is enforce, off off, audit audit, and any other value
// audit and unknown (deploy's TestRouting checks the rendered selectors
// agree).
func TestModeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		labels    map[string]string
		want      Mode
		wantKnown bool
	}{
		{name: "no labels", want: ModeEnforce, wantKnown: true},
		{name: "other labels", labels: map[string]string{"team": "shop"}, want: ModeEnforce, wantKnown: true},
		{name: "enforce", labels: map[string]string{wellknown.LabelMode: "enforce"}, want: ModeEnforce, wantKnown: true},
		{name: "off", labels: map[string]string{wellknown.LabelMode: "off"}, want: ModeOff, wantKnown: true},
		{name: "audit", labels: map[string]string{wellknown.LabelMode: "audit"}, want: ModeAudit, wantKnown: true},
		// A typo must never enforce: it audits, and is reported.
		{name: "upper case", labels: map[string]string{wellknown.LabelMode: "Off"}, want: ModeAudit},
		{name: "Audit", labels: map[string]string{wellknown.LabelMode: "Audit"}, want: ModeAudit},
		{name: "audti", labels: map[string]string{wellknown.LabelMode: "audti"}, want: ModeAudit},
		{name: "empty value", labels: map[string]string{wellknown.LabelMode: ""}, want: ModeAudit},
		{name: "unknown value", labels: map[string]string{wellknown.LabelMode: "disabled"}, want: ModeAudit},
		{name: "another prefix", labels: map[string]string{"example.com/mode": "off"}, want: ModeEnforce, wantKnown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, known := ModeOf(tt.labels); got != tt.want || known != tt.wantKnown {
				t.Errorf("ModeOf(%v) = %s, %v; want %s, %v", tt.labels, got, known, tt.want, tt.wantKnown)
			}
		})
	}
}

// TestModeIn is the table of the mode in force: the namespace's mode (as
// ModeOf reads it) against the config's. Off is off whatever the config;
// an enforce namespace follows the config; anything else audits.
func TestModeIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		config    Mode
		namespace Mode
		want      Mode
	}{
		{"enforce in enforce", ModeEnforce, ModeEnforce, ModeEnforce},
		{"audit namespace", ModeEnforce, ModeAudit, ModeAudit},
		{"off namespace", ModeEnforce, ModeOff, ModeOff},
		{"audit config, enforce namespace", ModeAudit, ModeEnforce, ModeAudit},
		{"audit config, audit namespace", ModeAudit, ModeAudit, ModeAudit},
		{"audit config, off namespace", ModeAudit, ModeOff, ModeOff},
		// A value that is not a mode never enforces, even if it reaches
		// ModeIn without ModeOf.
		{"not a mode", ModeEnforce, Mode("Enforce"), ModeAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Mode: tt.config}
			if got := c.ModeIn(tt.namespace); got != tt.want {
				t.Errorf("config %s: ModeIn(%s) = %s, want %s", tt.config, tt.namespace, got, tt.want)
			}
		})
	}
}

// TestPublicRegistries: the built-in list by default, extended by add,
// shortened by remove, replaced when builtIn is false; the rewriter routes by
// the effective list.
func TestPublicRegistries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       map[string]rewrite.Outcome
	}{
		{"built in", routingConfig, map[string]rewrite.Outcome{
			"mcr.microsoft.com/dotnet/runtime:8": rewrite.OutcomeUnroutedPublic,
			"eu.gcr.io/p/a:1":                    rewrite.OutcomeUnroutedPublic,
			"registry.vendor.example/a:1":        rewrite.OutcomeNoRule,
		}},
		{"extended and shortened", routingConfig + "publicRegistries: {add: [registry.vendor.example], remove: [mcr.microsoft.com]}\n", map[string]rewrite.Outcome{
			"mcr.microsoft.com/dotnet/runtime:8": rewrite.OutcomeNoRule,
			"eu.gcr.io/p/a:1":                    rewrite.OutcomeUnroutedPublic,
			"registry.vendor.example/a:1":        rewrite.OutcomeUnroutedPublic,
		}},
		{"replaced", routingConfig + "publicRegistries: {builtIn: false, add: ['*.vendor.example']}\n", map[string]rewrite.Outcome{
			"mcr.microsoft.com/dotnet/runtime:8": rewrite.OutcomeNoRule,
			"eu.gcr.io/p/a:1":                    rewrite.OutcomeNoRule,
			"registry.vendor.example/a:1":        rewrite.OutcomeUnroutedPublic,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rw, err := mustParse(t, tt.yaml).Rewriter()
			if err != nil {
				t.Fatal(err)
			}
			for image, want := range tt.want {
				if got := rw.Rewrite(image).Outcome; got != want {
					t.Errorf("Rewrite(%q) = %s, want %s", image, got, want)
				}
			}
		})
	}
}
