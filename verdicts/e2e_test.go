package verdicts

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

// TestRecordOnAPIServer: writers that race lose nothing, and the webhook
// that watches the record decides from it without asking the proxy: a
// reference the record says is not served is left as written, one it says
// is served is rewritten.
func TestRecordOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: runs an API server")
	}
	t.Parallel()
	c := cluster.StartForTest(t, cluster.Options{})
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, ns := t.Context(), "pullthrough-system"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			asked.Add(1)
		}
	}))
	defer proxy.Close()
	host := strings.TrimPrefix(proxy.URL, "https://")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			served := i%2 == 0
			if err := Write(ctx, cs, ns, DefaultName, Record{fmt.Sprintf("%s/library/app-%d:1", host, i): {served, time.Now()}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, DefaultName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if record, err := Decode(ns+"/"+DefaultName, cm.Data[Key]); err != nil || len(record) != 8 {
		t.Fatalf("8 racing writers left %d entries (%v): %s", len(record), err, cm.Data[Key])
	}

	state := servedState(t, host, proxy.Certificate().Raw)
	w, err := NewWatcher(cs, ns, DefaultName, state, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Start(ctx) }()
	for !w.Synced() {
		time.Sleep(50 * time.Millisecond)
	}
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := &webhook.PodHandler{State: state, Metrics: metrics, Path: webhook.PathMutate}
	want := map[string]string{"library/app-0:1": host + "/library/app-0:1", "library/app-1:1": "library/app-1:1"}
	if got := admit(t, h, "library/app-0:1", "library/app-1:1"); fmt.Sprint(got) != fmt.Sprint(want) || asked.Load() != 0 {
		t.Errorf("from the record: %v after %d checks of the proxy; want %v, none", got, asked.Load(), want)
	}
}

// servedState is a webhook State routing docker.io to host, whose served
// check trusts the certificate der.
func servedState(t *testing.T, host string, der []byte) *webhook.State {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(fmt.Appendf(nil, "mirrors: [{source: docker.io, target: %q}]\nservedCheck: {caBundle: %q, notServedTTL: 1h}\n", host, ca))
	if err != nil {
		t.Fatal(err)
	}
	live, err := liveconfig.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	state, err := webhook.NewState(live)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// admit sends a pod of images to h and returns each image's final value by its original.
func admit(t *testing.T, h *webhook.PodHandler, images ...string) map[string]string {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	for i, image := range images {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: image})
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	resp := h.Handle(t.Context(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "u",
		Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create, Namespace: "shop",
		Object: runtime.RawExtension{Raw: raw}}})
	out := map[string]string{}
	for _, image := range images {
		out[image] = image
	}
	for _, op := range resp.Patches {
		if strings.HasSuffix(op.Path, "/image") {
			i := 0
			_, _ = fmt.Sscanf(op.Path, "/spec/containers/%d/image", &i)
			out[images[i]] = op.Value.(string)
		}
	}
	return out
}
