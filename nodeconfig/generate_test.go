package nodeconfig

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenFormats are the outputs of `pullthrough nodeconfig` checked against
// testdata/layouts/LAYOUT.SUFFIX for every layout: what an operator sees,
// warnings included.
var goldenFormats = []struct {
	suffix string
	render func(*config.Config) ([]byte, []Warning, error)
}{
	{"golden", func(cfg *config.Config) ([]byte, []Warning, error) {
		files, warnings, err := Generate(cfg)
		if err != nil {
			return nil, nil, err
		}
		var b bytes.Buffer
		err = Print(&b, files)
		return b.Bytes(), warnings, err
	}},
	{"bottlerocket.golden", Bottlerocket},
}

// TestGolden renders each provider layout's config into the files (or
// Bottlerocket's settings) and warnings an operator sees; containerd's own
// parser and resolver check the same output in the e2e/containerd module.
func TestGolden(t *testing.T) {
	t.Parallel()
	configs, err := filepath.Glob("testdata/layouts/*.yaml")
	if err != nil || len(configs) == 0 {
		t.Fatalf("no layouts: %v", err)
	}
	for _, path := range configs {
		for _, format := range goldenFormats {
			golden := strings.TrimSuffix(path, ".yaml") + "." + format.suffix
			t.Run(filepath.Base(golden), func(t *testing.T) {
				t.Parallel()
				cfg, err := config.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				out, warnings, err := format.render(cfg)
				if err != nil {
					t.Fatal(err)
				}
				got := bytes.NewBuffer(out)
				for _, w := range warnings {
					got.WriteString("\n# warning: " + w.String())
				}
				if *update {
					if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("%s differs from the output (rerun with -update to accept):\n%s", golden, got.String())
				}
			})
		}
	}
}

func mustParse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		config     string
		registries []string // files, in order
		contains   map[string][]string
		warnings   []string // fields warned about
	}{{
		// Docker Hub's aliases name the same registry: each needs its own directory.
		name:       "docker hub and its aliases",
		config:     "mirrors: [{source: docker.io, target: proxy.internal/hub}]",
		registries: []string{"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"},
		contains: map[string][]string{
			"docker.io":               {`server = "https://registry-1.docker.io"`, `[host."https://proxy.internal/v2/hub"]`, "override_path = true"},
			"registry.hub.docker.com": {`server = "https://registry-1.docker.io"`},
		},
	}, {
		// A source written as an alias is canonical docker.io, like the webhook reads it.
		name:       "alias as source",
		config:     "mirrors: [{source: Index.Docker.IO, target: proxy.internal}]",
		registries: []string{"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"},
	}, {
		// A bare host needs no override_path: containerd appends /v2 itself.
		name:       "bare host target",
		config:     "mirrors: [{source: ghcr.io, target: proxy.internal:5000}]",
		registries: []string{"ghcr.io"},
		contains:   map[string][]string{"ghcr.io": {`server = "https://ghcr.io"`, `[host."https://proxy.internal:5000"]`}},
	}, {
		// A path-only source has no host file, and says so.
		name:       "namespace without its registry",
		config:     "mirrors: [{source: docker.io/bitnami, target: proxy.internal/bitnami}, {source: quay.io, target: proxy.internal/quay}]",
		registries: []string{"quay.io"},
		warnings:   []string{"mirrors[0].source"},
	}, {
		// The proxy as the only endpoint, with the CA path quoted.
		name:       "no fallback",
		config:     "mirrors: [{source: quay.io, target: proxy.internal/quay}]\nnode: {fallback: false, ca: 'C:\\ca \"x\".pem'}",
		registries: []string{"quay.io"},
		contains:   map[string][]string{"quay.io": {`server = "https://proxy.internal/v2/quay"`, `ca = "C:\\ca \"x\".pem"`}},
	}, {
		// A host file serves every namespace on the node: the unscoped
		// mirror writes it, the scoped one (listed after it, so a last-wins
		// map would pick it) writes none and is reported.
		name:       "scoped mirrors write no host file",
		config:     "mirrors: [{source: quay.io, target: proxy.internal/quay}, {source: quay.io, target: proxy.internal/team-a, namespaces: [team-a]}, {source: ghcr.io, target: proxy.internal/ghcr-b, namespaceSelector: {matchLabels: {tenant: b}}}]",
		registries: []string{"quay.io"},
		contains:   map[string][]string{"quay.io": {`[host."https://proxy.internal/v2/quay"]`}},
		warnings:   []string{"mirrors[1].source", "mirrors[2].source"},
	}, {
		// Every rule the nodes cannot honour is reported.
		name:       "exclusions and audit",
		config:     "mirrors: [{source: quay.io, target: proxy.internal/quay}]\nexclude: {images: [quay.io/a/b*]}\nmode: audit",
		registries: []string{"quay.io"},
		warnings:   []string{"exclude.images[0]", "mode"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, warnings, err := Generate(mustParse(t, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			var registries []string
			for _, f := range files {
				registries = append(registries, f.Registry)
				if !bytes.HasPrefix(f.Content, []byte(Marker+"\n")) {
					t.Errorf("%s does not start with the marker", f.Path())
				}
				for _, want := range tc.contains[f.Registry] {
					if !bytes.Contains(f.Content, []byte(want+"\n")) {
						t.Errorf("%s lacks the line %s:\n%s", f.Path(), want, f.Content)
					}
				}
			}
			if strings.Join(registries, " ") != strings.Join(tc.registries, " ") {
				t.Errorf("files for %q, want %q", registries, tc.registries)
			}
			var fields []string
			for _, w := range warnings {
				fields = append(fields, w.Field)
			}
			if strings.Join(fields, " ") != strings.Join(tc.warnings, " ") {
				t.Errorf("warnings on %q, want %q: %v", fields, tc.warnings, warnings)
			}
		})
	}
}

// TestGenerateUndefaulted: a Config built in code, never defaulted, gets the
// default fallback rather than a nil dereference.
func TestGenerateUndefaulted(t *testing.T) {
	t.Parallel()
	files, _, err := Generate(&config.Config{Mirrors: []rewrite.Mirror{{Source: "quay.io", Target: "proxy.internal/quay"}}})
	if err != nil || len(files) != 1 || !bytes.Contains(files[0].Content, []byte(`server = "https://quay.io"`)) {
		t.Fatalf("files %v, error %v", files, err)
	}
}
