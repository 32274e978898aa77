package webhook

import (
	"encoding/json"
	"flag"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/pullthrough/pullthrough/wellknown"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden/")

// outcome is what a golden file records of one answer: the patched object
// (the patch applied to the request's object), not the patch's operations,
// whose order is an implementation detail.
type outcome struct {
	UID      string          `json:"uid"`
	Allowed  bool            `json:"allowed"`
	Code     int32           `json:"code,omitempty"`
	Message  string          `json:"message,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	Patched  json.RawMessage `json:"patched"`
}

func TestHandlerGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		audit   bool
		// patched says whether a patch is expected at all.
		patched bool
	}{
		{"create-all-lists", false, true},
		{"create-all-lists", true, true},
		{"dry-run", false, true},
		{"reinvocation-istio", false, true},
		// Already proxied: no image changes, but the kubelet needs the proxy's pull secrets.
		{"already-proxied", false, true},
		// Every spelling of a mirrored registry (default port, case, Docker
		// Hub alias) is rewritten; another port is another registry.
		{"spellings", false, true},
		// Public registries no mirror covers are warned about (unrouted: warn).
		{"unrouted-public", false, true},
		{"unrouted-public", true, true},
		{"update", false, true},
		// Image volumes are images: rewritten (tag, digest and both kept),
		// recorded apart from a container of the same name, pull secrets
		// added though no container moved; empty and unparsable references
		// left alone and reported.
		{"image-volumes", false, true},
		{"image-volumes", true, true},
		// A pod's volumes are immutable: an UPDATE that keeps them touches none.
		{"update-volumes", false, false},
		{"ephemeral-subresource", false, true},
		{"opted-out", false, false},
		{"mirror-pod", false, false},
		{"excluded-namespace", false, false},
		{"wrong-kind", false, false},
		{"undecodable-pod", false, false},
		{"malformed", false, false},
		{"empty", false, false},
		// The realistic corpus of the benchmarks (docs/benchmarks.md).
		{"realistic-deployment-pod", false, true},
		{"realistic-istio-pod", false, true},
		{"realistic-30-containers", false, true},
		{"realistic-update-metadata", false, false},
	}
	for _, tt := range tests {
		name := tt.fixture
		if tt.audit {
			name += ".audit"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "testdata/config.yaml")
			h := f.mutate
			if tt.audit {
				h = f.audit
			}
			body, err := os.ReadFile(filepath.Join("testdata/requests", tt.fixture+".json"))
			if err != nil {
				t.Fatal(err)
			}
			resp := post(t, h, body)
			got := outcome{UID: string(resp.UID), Allowed: resp.Allowed, Warnings: resp.Warnings, Patched: json.RawMessage("null")}
			if resp.Result != nil {
				got.Code, got.Message = resp.Result.Code, resp.Result.Message
			}
			for _, w := range resp.Warnings {
				if len(w) > wellknown.MaxWarningLength {
					t.Errorf("warning of %d characters may be truncated by the API server (past 256): %q", len(w), w)
				}
			}
			if (len(resp.Patch) > 0) != tt.patched {
				t.Fatalf("patch = %s, want a patch: %v", resp.Patch, tt.patched)
			}
			if len(resp.Patch) > 0 {
				got.Patched = applyPatch(t, body, resp.Patch)
				assertIdempotent(t, h, body, got.Patched)
			}
			compareGolden(t, filepath.Join("testdata/golden", name+".json"), got)
		})
	}
}

// applyPatch applies a JSON patch to the request's object.
func applyPatch(t *testing.T, review, patch []byte) json.RawMessage {
	t.Helper()
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(review, &ar); err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("patch does not decode: %v", err)
	}
	out, err := p.Apply(ar.Request.Object.Raw)
	if err != nil {
		t.Fatalf("patch does not apply: %v", err)
	}
	return out
}

// assertIdempotent sends the patched object back, as a reinvocation does, and
// requires no patch: the contract of reinvocationPolicy IfNeeded.
func assertIdempotent(t *testing.T, h http.Handler, review []byte, patched json.RawMessage) {
	t.Helper()
	var ar map[string]any
	if err := json.Unmarshal(review, &ar); err != nil {
		t.Fatal(err)
	}
	ar["request"].(map[string]any)["object"] = patched
	again, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	if resp := post(t, h, again); len(resp.Patch) > 0 || !resp.Allowed {
		t.Errorf("reinvocation on the patched pod gave patch %s (allowed %v), want none", resp.Patch, resp.Allowed)
	}
}

func compareGolden(t *testing.T, path string, got outcome) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	// JSON objects are unordered: the patched object may list its members
	// in another order than when the golden file was written (an add
	// operation appends a member where a generic diff rewrote the map).
	if string(b) != string(want) && !reflect.DeepEqual(generic(t, b), generic(t, want)) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, b, want)
	}
}

// TestHandEditedAnnotationReplaced: an original-images value that is not
// pullthrough's JSON must not stop the pod; it is replaced by valid JSON.
func TestHandEditedAnnotationReplaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config.yaml")
	body, err := os.ReadFile("testdata/requests/reinvocation-istio.json")
	if err != nil {
		t.Fatal(err)
	}
	var ar map[string]any
	if err := json.Unmarshal(body, &ar); err != nil {
		t.Fatal(err)
	}
	meta := ar["request"].(map[string]any)["object"].(map[string]any)["metadata"].(map[string]any)
	meta["annotations"] = map[string]any{wellknown.AnnotationOriginalImages: "edited by hand"}
	edited, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, f.mutate, edited)
	if !resp.Allowed || len(resp.Patch) == 0 {
		t.Fatalf("allowed=%v patch=%s, want an allowed patch", resp.Allowed, resp.Patch)
	}
	var pod struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(applyPatch(t, edited, resp.Patch), &pod); err != nil {
		t.Fatal(err)
	}
	var originals map[string]string
	if err := json.Unmarshal([]byte(pod.Metadata.Annotations[wellknown.AnnotationOriginalImages]), &originals); err != nil || originals["istio-proxy"] == "" {
		t.Errorf("annotation = %q, want JSON recording istio-proxy", pod.Metadata.Annotations[wellknown.AnnotationOriginalImages])
	}
}

// TestForgedRecordDropped: whoever creates a pod writes its annotations, so
// on CREATE the record keeps only entries of the pod's own images; on UPDATE
// the entries are earlier requests' record and stay.
func TestForgedRecordDropped(t *testing.T) {
	t.Parallel()
	const forged = `{"app":"ghcr.io/acme/app:0","ghost":"evil.example/x:1","volume:app":"evil.example/y:1"}`
	tests := []struct {
		name    string
		request string
		// want is the record after the patch.
		want map[string]string
	}{
		{name: "create: only the pod's own images", request: "typical-pod",
			want: map[string]string{"app": "ghcr.io/acme/shop:1.4", "cache": "redis:7.2", "istio-proxy": "docker.io/istio/proxyv2:1.22.0",
				"metrics": "quay.io/prometheus/statsd-exporter:v0.26.0", "migrate": "ghcr.io/acme/migrate:3"}},
		{name: "update: the record kept", request: "update",
			want: map[string]string{"app": "ghcr.io/acme/app:0", "ghost": "evil.example/x:1", "volume:app": "evil.example/y:1", "side": "ghcr.io/acme/side:2"}},
	}
	f := newFixture(t, "testdata/config.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := readRequest(t, tt.request, func(req map[string]any) {
				podMeta(req)["annotations"] = map[string]any{wellknown.AnnotationOriginalImages: forged}
			})
			resp := post(t, f.mutate, body)
			if !resp.Allowed || len(resp.Patch) == 0 {
				t.Fatalf("allowed=%v patch=%s, want an allowed patch", resp.Allowed, resp.Patch)
			}
			var pod struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(applyPatch(t, body, resp.Patch), &pod); err != nil {
				t.Fatal(err)
			}
			got, err := wellknown.DecodeRecord(pod.Metadata.Annotations[wellknown.AnnotationOriginalImages])
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("record %v, want %v", got, tt.want)
			}
		})
	}
}
