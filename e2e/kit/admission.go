package kit

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

// Live is the live configuration of the config in yaml, as the binary loads
// it from its file, for tests that run an informer or a watcher in process.
func Live(t testing.TB, yaml string) *liveconfig.Live {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	live, err := liveconfig.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// State is the webhook's State on Live(t, yaml), for tests that run a
// PodHandler in process.
func State(t testing.TB, yaml string) *webhook.State {
	t.Helper()
	return StateOf(t, Live(t, yaml))
}

// StateOf is the webhook's State following live, for tests that run a
// PodHandler beside an informer on the same live configuration.
func StateOf(t testing.TB, live *liveconfig.Live) *webhook.State {
	t.Helper()
	state, err := webhook.NewState(live)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// Handler is the webhook's PodHandler on state at path, with its metrics on a
// registry of its own, as the binary serves it: for tests that send requests
// in process next to what they run on the API server.
func Handler(t testing.TB, state *webhook.State, path webhook.Path) *webhook.PodHandler {
	t.Helper()
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &webhook.PodHandler{State: state, Metrics: metrics, Path: path}
}

// ProxyLive is a live configuration that routes docker.io to proxy (an
// httptest.NewTLSServer standing in for the pull-through proxy) with the
// served check on and trusting proxy's certificate. A not-served verdict
// holds an hour, so that none written by a test expires during a slow run.
func ProxyLive(t testing.TB, proxy *httptest.Server) *liveconfig.Live {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(proxy.URL, "https://")
	return Live(t, fmt.Sprintf("mirrors: [{source: docker.io, target: %q}]\nservedCheck: {caBundle: %q, notServedTTL: 1h}\n", host, ca))
}

// ProxyState is the webhook's State on ProxyLive(t, proxy).
func ProxyState(t testing.TB, proxy *httptest.Server) *webhook.State {
	t.Helper()
	return StateOf(t, ProxyLive(t, proxy))
}

// PodRequest is the admission request of the CREATE of pod p in namespace ns
// with one container per image (c0, c1, …), as the API server sends it.
func PodRequest(t testing.TB, ns string, images ...string) admission.Request {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	for i, image := range images {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: image})
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "u",
		Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create, Namespace: ns,
		Object: runtime.RawExtension{Raw: raw}}}
}
