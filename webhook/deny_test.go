package webhook

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pullthrough/pullthrough/wellknown"
)

// TestUnroutedDenyGolden: under unrouted: deny, the enforce path rejects a
// pod with images on public registries no mirror covers, naming each image
// and the mirror it lacks.
func TestUnroutedDenyGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config-deny.yaml")
	resp := post(t, f.mutate, readRequest(t, "unrouted-public", nil))
	got := outcome{UID: string(resp.UID), Allowed: resp.Allowed, Warnings: resp.Warnings, Patched: json.RawMessage("null")}
	if resp.Result != nil {
		got.Code, got.Message = resp.Result.Code, resp.Result.Message
	}
	if resp.Allowed || got.Code != http.StatusForbidden || len(resp.Patch) > 0 {
		t.Fatalf("allowed=%v code=%d patch=%s, want a denial (403) without a patch", resp.Allowed, got.Code, resp.Patch)
	}
	for _, want := range []string{
		`"mcr.microsoft.com/dotnet/runtime:8.0"`, "add a mirror with source mcr.microsoft.com",
		`"nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04"`, "add a mirror with source nvcr.io",
		`"eu.gcr.io:443/acme/app:1"`, "public registry *.gcr.io", "add a mirror with source eu.gcr.io",
		`volume "weights": image "nvcr.io/nim/meta/llama3:1.0"`, `container "dotnet"`,
	} {
		if !strings.Contains(got.Message, want) {
			t.Errorf("message %q does not name %s", got.Message, want)
		}
	}
	for _, never := range []string{"nginx", "registry.corp.example"} {
		if strings.Contains(got.Message, never) {
			t.Errorf("message %q names %s, which is routed or internal", got.Message, never)
		}
	}
	compareGolden(t, filepath.Join("testdata/golden", "unrouted-public.deny.json"), got)
	if n := testutil.ToFloat64(f.metrics.requests.WithLabelValues("CREATE", resultDenied)); n != 1 {
		t.Errorf(`requests_total{result="denied"} = %v, want 1`, n)
	}
	// A denied pod's images are counted all the same: that is how a team
	// sees what its policy turned away.
	for registry, want := range map[string]float64{"mcr.microsoft.com": 1, "nvcr.io": 2, "*.gcr.io": 1} {
		if n := testutil.ToFloat64(f.metrics.images.WithLabelValues(registry, "unrouted-public")); n != want {
			t.Errorf(`images_total{registry=%q,outcome="unrouted-public"} = %v, want %v`, registry, n, want)
		}
	}
}

// TestUnroutedDenyOnlyEnforce: deny never applies off the enforce path of an
// enforce config, nor to images pod-level decisions or UPDATE leave alone.
func TestUnroutedDenyOnlyEnforce(t *testing.T) {
	t.Parallel()
	auditDeny := filepath.Join(t.TempDir(), "config.yaml")
	deny, err := os.ReadFile("testdata/config-deny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(auditDeny, append(deny, "mode: audit\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	// The public registries of the request, mirrored only for namespace gpu.
	scopedDeny := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(scopedDeny, []byte(`mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
  - {source: mcr.microsoft.com, target: proxy.example.internal/mcr, namespaces: [gpu]}
  - {source: eu.gcr.io, target: proxy.example.internal/gcr, namespaces: [gpu]}
  - {source: nvcr.io, target: proxy.example.internal/nvcr, namespaces: [gpu]}
unrouted: deny
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, config string
		audit        bool
		edit         func(req map[string]any)
		allowed      bool
	}{
		{"enforce path denies", "testdata/config-deny.yaml", false, nil, false},
		{"scoped mirrors cover the namespace they select", scopedDeny, false, func(req map[string]any) {
			req["namespace"] = "gpu"
		}, true},
		{"scoped mirrors cover no other namespace", scopedDeny, false, nil, false},
		{"warn admits", "testdata/config.yaml", false, nil, true},
		{"audit path admits", "testdata/config-deny.yaml", true, nil, true},
		{"audit config admits", auditDeny, false, nil, true},
		{"excluded namespace admits", "testdata/config-deny.yaml", false, func(req map[string]any) {
			req["namespace"] = "pullthrough-system"
		}, true},
		{"opted-out pod admits", "testdata/config-deny.yaml", false, func(req map[string]any) {
			podMeta(req)["labels"] = map[string]any{wellknown.LabelSkip: "true"}
		}, true},
		// On UPDATE, images the pod already had are not this request's
		// business: a label change never rejects a running pod.
		{"update with unchanged images admits", "testdata/config-deny.yaml", false, func(req map[string]any) {
			req["operation"] = "UPDATE"
			req["oldObject"] = req["object"]
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.config)
			h := f.mutate
			if tt.audit {
				h = f.audit
			}
			resp := post(t, h, readRequest(t, "unrouted-public", tt.edit))
			if resp.Allowed != tt.allowed {
				t.Fatalf("allowed = %v (%v), want %v", resp.Allowed, resp.Result, tt.allowed)
			}
		})
	}
}

// readRequest reads testdata/requests/NAME.json, edited as generic JSON.
func readRequest(t *testing.T, name string, edit func(req map[string]any)) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata/requests", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return body
	}
	var ar map[string]any
	if err := json.Unmarshal(body, &ar); err != nil {
		t.Fatal(err)
	}
	edit(ar["request"].(map[string]any))
	edited, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	return edited
}

// podMeta is the request object's metadata.
func podMeta(req map[string]any) map[string]any {
	return req["object"].(map[string]any)["metadata"].(map[string]any)
}
