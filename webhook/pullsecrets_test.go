package webhook

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pullthrough/pullthrough/rewrite"
)

// held is a PullSecrets that knows namespace/name pairs.
type held map[string]bool

func (h held) Holds(namespace, name string) bool { return h[namespace+"/"+name] }

func TestMissingPullSecrets(t *testing.T) {
	t.Parallel()
	both := held{"shop/proxy-pull": true, "shop/existing": true}
	tests := []struct {
		name    string
		names   []string
		secrets PullSecrets
		want    []string
	}{
		// Without a checker the names are trusted, as before the check.
		{"not checked", []string{"proxy-pull"}, nil, nil},
		// A proxy without credentials needs nothing.
		{"no secrets configured", nil, held{}, nil},
		{"all held", []string{"proxy-pull", "existing"}, both, nil},
		{"one missing", []string{"proxy-pull", "other"}, both, []string{"other"}},
		// Another namespace's Secret does not count.
		{"held elsewhere only", []string{"proxy-pull"}, held{"billing/proxy-pull": true}, []string{"proxy-pull"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := missingPullSecrets(tt.names, "shop", tt.secrets); !slices.Equal(got, tt.want) {
				t.Errorf("missing = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNoPullSecretLeavesImages: where the namespace lacks one of the
// config's pull secrets, the enforce path leaves every image as written
// (outcome no-pull-secret, counted, one warning per image) and adds no pull
// secret; with both secrets held the pod is rewritten as usual; audit keeps
// its own outcome.
func TestNoPullSecretLeavesImages(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/requests/typical-pod.json") // namespace shop, 5 images
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		secrets held
		audit   bool
		outcome rewrite.Outcome
	}{
		{"both held", held{"shop/proxy-pull": true, "shop/existing": true}, false, rewrite.OutcomeRewritten},
		{"one missing", held{"shop/proxy-pull": true}, false, rewrite.OutcomeNoPullSecret},
		{"none held", held{}, false, rewrite.OutcomeNoPullSecret},
		// Audit changes nothing anyway and shows what enforce would propose.
		{"audit", held{}, true, rewrite.OutcomeAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "testdata/config.yaml")
			f.state.CheckPullSecrets(tt.secrets)
			h := f.mutate
			if tt.audit {
				h = f.audit
			}
			resp := post(t, h, body)
			if got := testutil.ToFloat64(f.metrics.images.WithLabelValues("ghcr.io", string(tt.outcome))); got != 2 {
				t.Errorf("pullthrough_images_total{registry=ghcr.io,outcome=%s} = %v, want 2", tt.outcome, got)
			}
			if tt.outcome == rewrite.OutcomeRewritten {
				if !strings.Contains(string(resp.Patch), `"/spec/imagePullSecrets"`) {
					t.Errorf("patch %s: want the pull secrets added", resp.Patch)
				}
				return
			}
			if strings.Contains(string(resp.Patch), "/image") || strings.Contains(string(resp.Patch), "imagePullSecrets") {
				t.Errorf("patch %s: want no image changed and no pull secret added", resp.Patch)
			}
			if tt.outcome != rewrite.OutcomeNoPullSecret {
				return
			}
			want := "pullthrough: app: namespace lacks the proxy's pull secret, kept ghcr.io/acme/shop:1.4"
			if len(resp.Warnings) != 5 || !slices.Contains(resp.Warnings, want) {
				t.Errorf("warnings %q, want 5 including %q", resp.Warnings, want)
			}
		})
	}
}
