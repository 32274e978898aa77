package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		// want are fragments the error must contain: the field path and value.
		want []string
		// hidden are fragments it must not: credentials.
		hidden []string
	}{
		{"unknown field", "mirrors: [{source: docker.io, target: p.example/x}]\nmirorrs: []\n", []string{`unknown field "mirorrs"`}, nil},
		{"unknown nested field", "mirrors: [{source: docker.io, target: p.example/x, targte: y}]\n", []string{`unknown field "mirrors[0].targte"`}, nil},
		{"no mirrors", "mode: enforce\n", []string{"mirrors: Required value"}, nil},
		{"source not a host", "mirrors: [{source: dockerhub, target: p.example/x}]\n", []string{"mirrors[0].source", `"dockerhub"`, "not a registry host"}, nil},
		{"target not a host", "mirrors: [{source: docker.io, target: proxy/dockerhub}]\n", []string{"mirrors[0].target", `"proxy/dockerhub"`, "not a registry host"}, nil},
		{"bad path", "mirrors: [{source: docker.io/Bitnami, target: p.example/x}]\n", []string{"mirrors[0].source", "docker.io/Bitnami", "not a valid repository path"}, nil},
		{"trailing slash", "mirrors: [{source: quay.io/, target: p.example/x}]\n", []string{"mirrors[0].source", "quay.io/"}, nil},
		{"duplicate source", "mirrors: [{source: docker.io, target: p.example/a}, {source: index.docker.io, target: p.example/b}]\n", []string{"mirrors[1].source: Duplicate value", "same as mirrors[0].source"}, nil},
		{"duplicate source by port", "mirrors: [{source: ghcr.io, target: p.example/a}, {source: GHCR.io:443, target: p.example/b}]\n", []string{"mirrors[1].source: Duplicate value", "GHCR.io:443"}, nil},
		{"target loops by port", "mirrors: [{source: p.example:443, target: p.example/x}]\n", []string{"mirrors[0].target", "p.example/x", "rewriting would loop"}, nil},
		{"target loops", "mirrors: [{source: docker.io, target: docker.io/proxy}]\n", []string{"mirrors[0].target", "docker.io/proxy", "rewriting would loop"}, nil},
		{"target loops across mirrors", "mirrors: [{source: ghcr.io, target: quay.io/ghcr}, {source: quay.io, target: p.example/q}]\n", []string{"mirrors[0].target", "quay.io/ghcr", "mirrors[1].source"}, nil},
		{"source under target", "mirrors: [{source: docker.io, target: p.example/hub}, {source: p.example/hub/x, target: p.example/y}]\n", []string{"mirrors[1].source", "p.example/hub/x", "never match"}, nil},
		{"upper-case host only", "mirrors: [{source: docker.io, target: PROXY/hub}]\n", []string{"mirrors[0].target", "PROXY/hub", "not a registry host"}, nil},
		{"glob without host", "mirrors: [{source: docker.io, target: p.example/x}]\nexclude: {images: ['busybox*']}\n", []string{"exclude.images[0]", "busybox*", "normalized references"}, nil},
		{"bad image glob", "mirrors: [{source: docker.io, target: p.example/x}]\nexclude: {images: ['docker.io/[abc']}\n", []string{"exclude.images[0]", "docker.io/[abc", "not a valid glob"}, nil},
		{"bad namespace glob", "mirrors: [{source: docker.io, target: p.example/x}]\nexclude: {namespaces: ['']}\n", []string{"exclude.namespaces[0]"}, nil},
		{"bad mode", "mirrors: [{source: docker.io, target: p.example/x}]\nmode: enforcing\n", []string{"mode: Unsupported value", `"enforcing"`}, nil},
		{"node CA with a control character", "mirrors: [{source: docker.io, target: p.example/x}]\nnode: {ca: \"/etc/ca\\n.pem\"}\n", []string{"node.ca", "control characters"}, nil},
		{"empty pull secret", "mirrors: [{source: docker.io, target: p.example/x}]\nimagePullSecrets: ['']\n", []string{"imagePullSecrets[0]"}, nil},
		{"bad proxy url", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'ftp://x'}\n", []string{"proxyHealth.url", "ftp://x"}, nil},
		// Credentials in the URL would be logged; the error names the URL without them.
		{"proxy url with credentials", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://robot:s3cret@proxy.example/v2/'}\n", []string{"proxyHealth.url", "https://REDACTED@proxy.example/v2/", "must not carry credentials"}, []string{"robot", "s3cret"}},
		{"proxy url with a user", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://robot@proxy.example/v2/'}\n", []string{"proxyHealth.url", "https://REDACTED@proxy.example/v2/"}, []string{"robot"}},
		{"pull secret not a name", "mirrors: [{source: docker.io, target: p.example/x}]\nimagePullSecrets: [ok, 'Proxy_Pull']\n", []string{"imagePullSecrets[1]", "Proxy_Pull", "not a Secret name"}, nil},
		{"pull secret too long", "mirrors: [{source: docker.io, target: p.example/x}]\nimagePullSecrets: ['" + strings.Repeat("a", 254) + "']\n", []string{"imagePullSecrets[0]", "not a Secret name"}, nil},
		{"bad interval", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://p.example/v2/', interval: ten}\n", []string{"ten"}, nil},
		{"negative failure threshold", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://p.example/v2/', failureThreshold: -1}\n", []string{"proxyHealth.failureThreshold", "-1"}, nil},
		{"negative success threshold", "mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://p.example/v2/', successThreshold: -2}\n", []string{"proxyHealth.successThreshold", "-2"}, nil},
		{"configmap name and selector", "mirrors: [{source: docker.io, target: p.example/x}]\nmigrate: {configMaps: [{namespace: a, name: b, selector: c=d}]}\n", []string{"migrate.configMaps[0]", "exactly one of name and selector"}, nil},
		{"configmap bad selector", "mirrors: [{source: docker.io, target: p.example/x}]\nmigrate: {configMaps: [{namespace: a, selector: '=bad'}]}\n", []string{"migrate.configMaps[0].selector", "=bad"}, nil},
		{"field bad value", "mirrors: [{source: docker.io, target: p.example/x}]\nmigrate: {fields: [{version: v1, resource: installations, path: spec.registry, value: host}]}\n", []string{"migrate.fields[0].value", `"host"`}, nil},
		{"field bad path", "mirrors: [{source: docker.io, target: p.example/x}]\nmigrate: {fields: [{version: v1, resource: r, path: spec..registry, value: image}]}\n", []string{"migrate.fields[0].path", "spec..registry"}, nil},
		{"bad public registry", "mirrors: [{source: docker.io, target: p.example/x}]\npublicRegistries: {add: ['*.io:5000']}\n", []string{"publicRegistries.add[0]", "*.io:5000", "wildcard"}, nil},
		{"remove not built in", "mirrors: [{source: docker.io, target: p.example/x}]\npublicRegistries: {remove: [mcr.microsoft.con]}\n", []string{"publicRegistries.remove[0]", "mcr.microsoft.con", "supported values"}, nil},
		{"bad unrouted", "mirrors: [{source: docker.io, target: p.example/x}]\nunrouted: reject\n", []string{"unrouted: Unsupported value", `"reject"`}, nil},
		{"not yaml", "mirrors: [\n", []string{"not valid YAML"}, nil},
		// Scoped mirrors: each error names the mirror, the field and the value.
		{"scoped names overlap", "mirrors: [{source: docker.io, target: p.example/a, namespaces: [team-*]}, {source: docker.io, target: p.example/b, namespaces: [x, team-b]}]\n", []string{"mirrors[1].namespaces", "team-b", "mirrors[0].namespaces team-*"}, nil},
		{"two unscoped beside a scoped one", "mirrors: [{source: docker.io, target: p.example/a}, {source: docker.io, target: p.example/b, namespaces: [a]}, {source: docker.io, target: p.example/c}]\n", []string{"mirrors[2].source: Duplicate value", "same as mirrors[0].source"}, nil},
		{"scoped bad glob", "mirrors: [{source: docker.io, target: p.example/a, namespaces: ['team-[']}]\n", []string{"mirrors[0].namespaces[0]", "team-[", "not a valid glob"}, nil},
		{"scoped empty glob", "mirrors: [{source: docker.io, target: p.example/a, namespaces: ['']}]\n", []string{"mirrors[0].namespaces[0]"}, nil},
		{"selector bad operator", "mirrors: [{source: docker.io, target: p.example/a, namespaceSelector: {matchExpressions: [{key: t, operator: Equals, values: [a]}]}}]\n", []string{"mirrors[0].namespaceSelector", "Equals"}, nil},
		{"selector In without values", "mirrors: [{source: docker.io, target: p.example/a, namespaceSelector: {matchExpressions: [{key: t, operator: In}]}}]\n", []string{"mirrors[0].namespaceSelector", "values"}, nil},
		{"selector bad key", "mirrors: [{source: docker.io, target: p.example/a, namespaceSelector: {matchLabels: {'bad key': a}}}]\n", []string{"mirrors[0].namespaceSelector", "bad key"}, nil},
		{"selector unknown field", "mirrors: [{source: docker.io, target: p.example/a, namespaceSelector: {matchLabel: {t: a}}}]\n", []string{`unknown field "mirrors[0].namespaceSelector.matchLabel"`}, nil},
		{"scoped without target", "mirrors: [{source: docker.io, target: p.example/a}, {source: docker.io, namespaceSelector: {}}]\n", []string{"mirrors[1].target", "not a registry host"}, nil},
		{"scoped target loops", "mirrors: [{source: docker.io, target: p.example/a}, {source: ghcr.io, target: docker.io/x, namespaces: [a]}]\n", []string{"mirrors[1].target", "docker.io/x", "rewriting would loop"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, h := range tt.hidden {
				if strings.Contains(err.Error(), h) {
					t.Errorf("error %q shows %q", err, h)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("mirrors: [{source: docker.io, target: p.example/x}]\nproxyHealth: {url: 'https://p.example/v2/'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeEnforce {
		t.Errorf("Mode = %q, want enforce", cfg.Mode)
	}
	if cfg.Unrouted != UnroutedWarn {
		t.Errorf("Unrouted = %q, want warn", cfg.Unrouted)
	}
	if h := cfg.ProxyHealth; h.Interval.Duration != 10*time.Second || h.FailOpen == nil || !*h.FailOpen || h.FailureThreshold != 3 || h.SuccessThreshold != 2 || h.CABundle != "" {
		t.Errorf("proxyHealth defaults = %+v", cfg.ProxyHealth)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("mirrors: [{source: nope, target: p.example/x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.yaml")} {
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%s) error = %v, want one naming the file", p, err)
		}
	}
	if _, err := Load("../examples/config.yaml"); err != nil {
		t.Errorf("the shipped example config must load: %v", err)
	}
}

// TestServedCheck: the served check is on by default, can be turned off, and
// each bad setting is named by its field path and value.
func TestServedCheck(t *testing.T) {
	t.Parallel()
	const mirrors = "mirrors: [{source: docker.io, target: proxy.example/hub}]\n"
	tests := []struct {
		name, yaml string
		enabled    bool
		onTimeout  ServedOnTimeout
		wantErr    string
	}{
		{"default: on, direct on timeout", "", true, ServedOnTimeoutDirect, ""},
		{"off", "servedCheck: {enabled: false}\n", false, ServedOnTimeoutDirect, ""},
		{"rewrite on timeout", "servedCheck: {onTimeout: rewrite, budget: 300ms}\n", true, ServedOnTimeoutRewrite, ""},
		{"unknown onTimeout", "servedCheck: {onTimeout: wait}\n", true, "", `servedCheck.onTimeout: Unsupported value: "wait"`},
		{"negative ttl", "servedCheck: {notServedTTL: -1s}\n", true, "", `servedCheck.notServedTTL: Invalid value: "-1s"`},
		// A budget near timeoutSeconds would time the whole request out.
		{"budget too long", "servedCheck: {budget: 4s}\n", true, "", `servedCheck.budget: Invalid value: "4s": must be at most 2.5s`},
		{"negative maxEntries", "servedCheck: {maxEntries: -1}\n", true, "", "servedCheck.maxEntries: Invalid value: -1"},
		{"typo", "servedCheck: {budgte: 1s}\n", true, "", `unknown field "servedCheck.budgte"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(mirrors + tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *cfg.Served().Enabled != tt.enabled || cfg.ServedCheck.OnTimeout != tt.onTimeout {
				t.Errorf("enabled %v, onTimeout %s; want %v, %s", *cfg.Served().Enabled, cfg.ServedCheck.OnTimeout, tt.enabled, tt.onTimeout)
			}
		})
	}
}
