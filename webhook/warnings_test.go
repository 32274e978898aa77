package webhook

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Locations of the hand-made changes of the tests.
var (
	containers = location(podspec.FieldContainers)
	volumes    = location(podspec.FieldVolumes)
)

func location(field string) *podspec.Location {
	for i := range podspec.Locations {
		if podspec.Locations[i].Field == field {
			return &podspec.Locations[i]
		}
	}
	panic("no location " + field)
}

func TestWarningsFor(t *testing.T) {
	t.Parallel()
	digest := "@sha256:" + strings.Repeat("a", 64)
	pinned := "ghcr.io/acme/gateway:1.4.2" + digest
	pinnedProxied := "proxy.example.internal/ghcr/acme/gateway:1.4.2" + digest
	huge := "ghcr.io/" + strings.Repeat("x", 240) + ":1"
	hugeProxied := "proxy.example.internal/ghcr/" + strings.Repeat("x", 240) + ":1"
	tests := []struct {
		name   string
		change podspec.Change
		want   string
	}{{
		name:   "short pair whole",
		change: podspec.Change{Location: containers, Name: "app", Old: "nginx", Result: rewrite.Result{Image: "proxy.example.internal/dockerhub/library/nginx", Outcome: rewrite.OutcomeRewritten}},
		want:   "pullthrough: app: nginx -> proxy.example.internal/dockerhub/library/nginx",
	}, {
		// A digest-pinned pair is ~240 characters: past the 120 the API
		// docs ask for "if possible", within the 256 it may truncate past,
		// so the person sees both images whole.
		name:   "digest-pinned pair whole",
		change: podspec.Change{Location: containers, Name: "gateway", Old: pinned, Result: rewrite.Result{Image: pinnedProxied, Outcome: rewrite.OutcomeRewritten}},
		want:   "pullthrough: gateway: " + pinned + " -> " + pinnedProxied,
	}, {
		name:   "audit pair whole",
		change: podspec.Change{Location: containers, Name: "gateway", Old: pinned, Result: rewrite.Result{Proposed: pinnedProxied, Outcome: rewrite.OutcomeAudit}},
		want:   "pullthrough audit: gateway: " + pinned + " would be " + pinnedProxied,
	}, {
		name:   "pair past 256: the new image alone",
		change: podspec.Change{Location: containers, Name: "app", Old: "ghcr.io/" + strings.Repeat("x", 100) + ":1", Result: rewrite.Result{Image: "proxy.example.internal/ghcr/" + strings.Repeat("x", 100) + ":1", Outcome: rewrite.OutcomeRewritten}},
		want:   "pullthrough: app: -> proxy.example.internal/ghcr/" + strings.Repeat("x", 100) + ":1",
	}, {
		name:   "new image alone past 256: cut to 256",
		change: podspec.Change{Location: containers, Name: "app", Old: huge, Result: rewrite.Result{Image: hugeProxied, Outcome: rewrite.OutcomeRewritten}},
		want:   ("pullthrough: app: -> " + hugeProxied)[:wellknown.MaxWarningLength-3] + "...",
	}, {
		// An image volume is named by its annotation key, apart from a
		// container of the same name.
		name:   "image volume",
		change: podspec.Change{Location: volumes, Name: "app", Old: "ghcr.io/acme/models:v3", Result: rewrite.Result{Image: "proxy.example.internal/ghcr/acme/models:v3", Outcome: rewrite.OutcomeRewritten}},
		want:   "pullthrough: volume:app: ghcr.io/acme/models:v3 -> proxy.example.internal/ghcr/acme/models:v3",
	}, {
		// image: {} passes the API server's validation; the pod is
		// admitted as it came and the person learns why nothing moved.
		name:   "empty volume reference",
		change: podspec.Change{Location: volumes, Name: "models", Old: "", Result: rewrite.Result{Outcome: rewrite.OutcomeUnparseable}},
		want:   `pullthrough: volume:models: cannot read image reference "": left as is`,
	}, {
		name:   "unchanged says nothing",
		change: podspec.Change{Location: containers, Name: "app", Old: "nginx", Result: rewrite.Result{Image: "nginx", Outcome: rewrite.OutcomeExcludedImage}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := warningsFor([]podspec.Change{tt.change})
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("warnings %q, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("warnings %q, want [%q]", got, tt.want)
			}
			if len(got[0]) > wellknown.MaxWarningLength {
				t.Fatalf("warning of %d characters: the API server may truncate past %d", len(got[0]), wellknown.MaxWarningLength)
			}
		})
	}
}

// TestUnknownModePath: a namespace label that is not a mode audits (the same
// answer as the audit path) and says why first.
func TestUnknownModePath(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config.yaml")
	body, err := os.ReadFile("testdata/requests/typical-pod.json")
	if err != nil {
		t.Fatal(err)
	}
	audit := post(t, f.audit, body)
	unknown := post(t, Handlers(f.state, f.metrics, Limits{})[PathAuditUnknownMode], body)
	if want := append([]string{wellknown.WarningUnknownMode}, audit.Warnings...); !slices.Equal(unknown.Warnings, want) {
		t.Errorf("warnings %q, want %q", unknown.Warnings, want)
	}
	if !unknown.Allowed || !bytes.Equal(unknown.Patch, audit.Patch) {
		t.Errorf("answer: allowed %v, patch %s; want the audit path's patch %s", unknown.Allowed, unknown.Patch, audit.Patch)
	}
}
