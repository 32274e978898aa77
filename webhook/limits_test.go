package webhook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pullthrough/pullthrough/wellknown"
)

// limitedFixture is newFixture whose handlers are bounded by limits.
func limitedFixture(t testing.TB, limits Limits) *fixture {
	t.Helper()
	f := newFixture(t, "testdata/config.yaml")
	handlers := Handlers(f.state, f.metrics, limits)
	f.mutate, f.audit = handlers[PathMutate], handlers[PathAudit]
	return f
}

// wideReview is a CREATE review of a pod with n containers, each with an
// image the config rewrites (docker.io/library/app-I:1).
func wideReview(t *testing.T, n int) []byte {
	t.Helper()
	return readRequest(t, "typical-pod", func(req map[string]any) {
		spec := req["object"].(map[string]any)["spec"].(map[string]any)
		delete(spec, "initContainers")
		containers := make([]any, n)
		for i := range containers {
			containers[i] = map[string]any{"name": "c" + strconv.Itoa(i), "image": fmt.Sprintf("app-%d:1", i)}
		}
		spec["containers"] = containers
	})
}

func TestPodImagesCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits Limits
		path   Path
		images int
		// capped: allowed unchanged with the one warning, counted as
		// too-many-images; otherwise rewritten as usual.
		capped bool
	}{
		// The default is the policy engine's figure, so both engines decide
		// the same pods.
		{name: "at the default cap: decided", path: PathMutate, images: wellknown.MaxPodImages},
		{name: "one past the default cap: left as written", path: PathMutate, images: wellknown.MaxPodImages + 1, capped: true},
		{name: "the hostile pod: 40,000 containers", path: PathMutate, images: 40000, capped: true},
		{name: "a configured cap", limits: Limits{MaxPodImages: 3}, path: PathMutate, images: 4, capped: true},
		{name: "a configured cap, met", limits: Limits{MaxPodImages: 3}, path: PathMutate, images: 3},
		// Auditing decides as much as enforcing: the same cap.
		{name: "audit path", path: PathAudit, images: wellknown.MaxPodImages + 1, capped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := limitedFixture(t, tt.limits)
			h := f.mutate
			if tt.path == PathAudit {
				h = f.audit
			}
			resp := post(t, h, wideReview(t, tt.images))
			if !resp.Allowed {
				t.Fatalf("not allowed: %v", resp.Result)
			}
			capped := testutil.ToFloat64(f.metrics.requests.WithLabelValues("CREATE", resultTooManyImages))
			if !tt.capped {
				if len(resp.Patch) == 0 || capped != 0 {
					t.Fatalf("a pod within the cap: patch %d bytes, too-many-images %v; want a patch and 0", len(resp.Patch), capped)
				}
				return
			}
			limit := tt.limits.withDefaults().MaxPodImages
			want := []string{wellknown.WarningTooManyImages(strconv.Itoa(tt.images), limit)}
			if len(resp.Patch) != 0 || !slices.Equal(resp.Warnings, want) || capped != 1 {
				t.Errorf("patch %d bytes, warnings %q, too-many-images %v; want none, %q, 1", len(resp.Patch), resp.Warnings, capped, want)
			}
			if n := testutil.CollectAndCount(f.metrics.images); n != 0 {
				t.Errorf("%d image series counted for a pod whose images were not decided", n)
			}
		})
	}
}

func TestWarningsCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits Limits
		images int
		// want is the number of per-image warnings kept, and more the number
		// summed up in the last one (0: no summary).
		want, more int
	}{
		{name: "under the default", images: 3, want: 3},
		{name: "at the default", images: wellknown.MaxWarnings, want: wellknown.MaxWarnings},
		{name: "past the default", images: wellknown.MaxPodImages, want: wellknown.MaxWarnings, more: wellknown.MaxPodImages - wellknown.MaxWarnings},
		{name: "a configured cap", limits: Limits{MaxWarnings: 2}, images: 5, want: 2, more: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := limitedFixture(t, tt.limits)
			resp := post(t, f.mutate, wideReview(t, tt.images))
			got := resp.Warnings
			if tt.more > 0 {
				if len(got) == 0 || got[len(got)-1] != wellknown.WarningMore(strconv.Itoa(tt.more)) {
					t.Fatalf("warnings %q: want the last to sum up %d more", got, tt.more)
				}
				got = got[:len(got)-1]
			}
			if len(got) != tt.want {
				t.Fatalf("%d per-image warnings, want %d: %q", len(got), tt.want, got)
			}
			for i, w := range got {
				if !strings.HasPrefix(w, fmt.Sprintf("pullthrough: c%d: ", i)) {
					t.Errorf("warning %d is %q: want the images in order", i, w)
				}
			}
		})
	}
}
