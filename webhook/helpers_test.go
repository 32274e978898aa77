package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/liveconfig"
)

// fixture is a handler pair on a fresh registry, as the binary wires them.
type fixture struct {
	live    *liveconfig.Live
	state   *State
	metrics *Metrics
	reg     *prometheus.Registry
	mutate  http.Handler
	audit   http.Handler
	// mutateHandler and auditHandler are the handlers behind mutate and
	// audit, for tests that call their parts.
	mutateHandler, auditHandler *PodHandler
}

func newFixture(t testing.TB, configPath string) *fixture {
	t.Helper()
	live, err := liveconfig.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{live: live, reg: prometheus.NewRegistry()}
	if f.state, err = NewState(live); err != nil {
		t.Fatal(err)
	}
	if f.metrics, err = NewMetrics(f.reg); err != nil {
		t.Fatal(err)
	}
	handlers := Handlers(f.state, f.metrics, Limits{})
	f.mutate, f.audit = handlers[PathMutate], handlers[PathAudit]
	f.mutateHandler = &PodHandler{State: f.state, Metrics: f.metrics, Path: PathMutate}
	f.auditHandler = &PodHandler{State: f.state, Metrics: f.metrics, Path: PathAudit}
	return f
}

// post sends body as the API server would and decodes the answer. Every
// answer must be HTTP 200 with an AdmissionReview: the API server reads
// errors from the response, not from the status code.
func post(t testing.TB, h http.Handler, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/mutate-pods", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200", rec.Code)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		t.Fatalf("answer is not an AdmissionReview with a response: %v: %s", err, rec.Body)
	}
	return review.Response
}

// newTestState is the State of cfg, given rather than loaded from a file.
func newTestState(cfg *config.Config) (*State, error) {
	live, err := liveconfig.New(cfg)
	if err != nil {
		return nil, err
	}
	return NewState(live)
}
