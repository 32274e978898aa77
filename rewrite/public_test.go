package rewrite

import (
	"strings"
	"testing"
)

// hubOnlyConfig mirrors part of Docker Hub only, as a cluster early in its
// move does: every other public registry is still pulled from the internet.
const hubOnlyConfig = `
mirrors:
  - {source: docker.io/library, target: proxy.example.internal/dockerhub/library}
  - {source: ghcr.io/acme, target: proxy.example.internal/acme}
exclude:
  images: ["mcr.microsoft.com/dotnet/sdk*"]
`

func TestRewriteUnroutedPublic(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, hubOnlyConfig)
	tests := []struct {
		name, image string
		outcome     Outcome
		registry    string // Result.Registry(): the bounded metrics label
	}{
		{"mirrored", "nginx:1.27", OutcomeRewritten, "docker.io/library"},
		{"hub outside the mirrored namespace", "bitnami/redis:7", OutcomeUnroutedPublic, "docker.io"},
		{"hub alias with port", "registry-1.docker.io:443/bitnami/redis:7", OutcomeUnroutedPublic, "docker.io"},
		{"ghcr outside the mirrored namespace", "ghcr.io/other/app:1", OutcomeUnroutedPublic, "ghcr.io"},
		{"ghcr default port", "GHCR.io:443/other/app:1", OutcomeUnroutedPublic, "ghcr.io"},
		{"microsoft", "mcr.microsoft.com/dotnet/runtime:8.0", OutcomeUnroutedPublic, "mcr.microsoft.com"},
		{"nvidia", "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04", OutcomeUnroutedPublic, "nvcr.io"},
		{"quay", "quay.io/calico/node:v3.28.0", OutcomeUnroutedPublic, "quay.io"},
		{"kubernetes", "registry.k8s.io/pause:3.9", OutcomeUnroutedPublic, "registry.k8s.io"},
		{"gcr", "gcr.io/distroless/static:nonroot", OutcomeUnroutedPublic, "gcr.io"},
		// A wildcard entry is the label: never the raw regional host.
		{"regional gcr", "eu.gcr.io/proj/app:1", OutcomeUnroutedPublic, "*.gcr.io"},
		{"artifact registry", "europe-west1-docker.pkg.dev/proj/repo/app:1", OutcomeUnroutedPublic, "*.pkg.dev"},
		{"ecr public", "public.ecr.aws/nginx/nginx:1", OutcomeUnroutedPublic, "public.ecr.aws"},
		{"gitlab", "registry.gitlab.com/group/app:1", OutcomeUnroutedPublic, "registry.gitlab.com"},
		{"elastic", "docker.elastic.co/elasticsearch/elasticsearch:8.14.0", OutcomeUnroutedPublic, "docker.elastic.co"},
		{"chainguard", "cgr.dev/chainguard/static:latest", OutcomeUnroutedPublic, "cgr.dev"},
		// Internal registries, and look-alikes, stay no-rule.
		{"internal", "registry.corp.example/team/app:1", OutcomeNoRule, ""},
		{"another port is another registry", "ghcr.io:5000/other/app:1", OutcomeNoRule, ""},
		{"wildcard host on another port", "eu.gcr.io:5000/proj/app:1", OutcomeNoRule, ""},
		{"wildcard needs a dot boundary", "evilgcr.io/proj/app:1", OutcomeNoRule, ""},
		{"public host as a prefix of another", "gcr.io.evil.example/proj/app:1", OutcomeNoRule, ""},
		{"the wildcard's bare domain is not under it", "pkg.dev/proj/app:1", OutcomeNoRule, ""},
		// Decisions made before routing keep their outcome.
		{"excluded public image", "mcr.microsoft.com/dotnet/sdk:8.0", OutcomeExcludedImage, ""},
		{"already proxied", "proxy.example.internal/acme/app:1", OutcomeAlreadyProxied, ""},
		{"unparseable", "mcr.microsoft.com/Dotnet", OutcomeUnparseable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := r.Rewrite(tt.image)
			if got.Outcome != tt.outcome || got.Registry() != tt.registry {
				t.Errorf("Rewrite(%q) = {%s %q}, want {%s %q}", tt.image, got.Outcome, got.Registry(), tt.outcome, tt.registry)
			}
			if got.Outcome == OutcomeUnroutedPublic && (got.Image != tt.image || got.Proposed != "") {
				t.Errorf("unrouted image changed: %+v", got)
			}
		})
	}
}

func TestUnroutedPublicEverywhere(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, hubOnlyConfig)
	// Audit and a proxy outage withhold rewrites; an unrouted image has none.
	for _, why := range []Outcome{OutcomeAudit, OutcomeProxyUnhealthy} {
		if got := r.Withholding(why).Rewrite("nvcr.io/nvidia/cuda:12"); got.Outcome != OutcomeUnroutedPublic {
			t.Errorf("withholding %s: outcome %s, want unrouted-public", why, got.Outcome)
		}
	}
	checkDecisions(t, "RewritePrefix", r.RewritePrefix, []decision{
		{"public prefix", "mcr.microsoft.com/", "mcr.microsoft.com/", OutcomeUnroutedPublic},
		{"public namespace with port", "quay.io:443/calico", "quay.io:443/calico", OutcomeUnroutedPublic},
		{"internal prefix", "registry.corp.example/", "registry.corp.example/", OutcomeNoRule},
	})
	in := `{"hub":"mcr.microsoft.com/oss","image":"docker.io/library/nginx:1","cache":"registry.corp.example/x:1"}`
	out, changes := r.Text(in)
	if want := `{"hub":"mcr.microsoft.com/oss","image":"proxy.example.internal/dockerhub/library/nginx:1","cache":"registry.corp.example/x:1"}`; out != want {
		t.Errorf("Text = %q, want %q", out, want)
	}
	if len(changes) != 2 || changes[0].Outcome != OutcomeUnroutedPublic || changes[0].Public != "mcr.microsoft.com" {
		t.Errorf("changes = %+v, want the public hub reported unrouted-public, then the rewrite", changes)
	}
}

// TestPublicRegistriesConfigured: the list is replaced, or extended, by the
// config; a registry left off it is internal to pullthrough.
func TestPublicRegistriesConfigured(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, hubOnlyConfig+`publicRegistries: ["registry.vendor.example", "*.AzureCR.io", "index.docker.io:443"]`+"\n")
	for image, want := range map[string]Outcome{
		"registry.vendor.example/app:1":     OutcomeUnroutedPublic,
		"myregistry.azurecr.io/app:1":       OutcomeUnroutedPublic,
		"bitnami/redis:7":                   OutcomeUnroutedPublic, // the alias entry is docker.io
		"mcr.microsoft.com/dotnet/aspnet:8": OutcomeNoRule,         // not on the replaced list
	} {
		if got := r.Rewrite(image); got.Outcome != want {
			t.Errorf("Rewrite(%q) = %s, want %s", image, got.Outcome, want)
		}
	}
	none := newTestRewriter(t, hubOnlyConfig+"publicRegistries: []\n")
	if got := none.Rewrite("mcr.microsoft.com/dotnet/aspnet:8"); got.Outcome != OutcomeNoRule {
		t.Errorf("empty list: outcome %s, want no-rule", got.Outcome)
	}
}

func TestParsePublicRegistry(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]string{
		"MCR.Microsoft.com":            "mcr.microsoft.com",
		"ghcr.io:443":                  "ghcr.io",
		"registry-1.docker.io":         "docker.io",
		"*.GCR.io":                     "*.gcr.io",
		"registry.vendor.example:5000": "registry.vendor.example:5000",
		"localhost":                    "localhost",
	} {
		if got, err := ParsePublicRegistry(entry); err != nil || got != want {
			t.Errorf("ParsePublicRegistry(%q) = %q, %v; want %q", entry, got, err, want)
		}
	}
	for _, bad := range []string{"", "*", "*.", "*.io:443", "*.*.gcr.io", "gcr.io/path", "https://gcr.io", "dockerhub", "*.localhost", "*.[::1]"} {
		if _, err := ParsePublicRegistry(bad); err == nil || !strings.Contains(err.Error(), notARegistry) {
			t.Errorf("ParsePublicRegistry(%q) error = %v, want %q", bad, err, notARegistry)
		}
	}
	for i, e := range DefaultPublicRegistries {
		if _, err := ParsePublicRegistry(e); err != nil {
			t.Errorf("DefaultPublicRegistries[%d]: %v", i, err)
		}
	}
}
