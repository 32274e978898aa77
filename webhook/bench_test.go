package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// benchServe posts the typical pod (3 containers, 1 init, 1 native sidecar)
// to h b.N times.
func benchServe(b *testing.B, h http.Handler) {
	body, err := os.ReadFile("testdata/requests/typical-pod.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, PathMutate, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkHandleBaseline is controller-runtime's own cost for the same
// request: decode the review, call a handler that allows, encode the answer.
func BenchmarkHandleBaseline(b *testing.B) {
	allow := admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })
	benchServe(b, &admission.Webhook{Handler: allow})
}

// BenchmarkHandle is the whole pullthrough handler on the same request; its
// ratio to BenchmarkHandleBaseline is what pullthrough adds per pod.
func BenchmarkHandle(b *testing.B) {
	benchServe(b, newFixture(b, "testdata/config.yaml").mutate)
}
