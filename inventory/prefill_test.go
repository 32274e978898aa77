package inventory

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/webhook"
)

// TestPrefill runs the checks ahead of time against a real API server: the
// informer's first list asks the proxy about the reference a pod's image is
// rewritten to and the one a pod already names on the proxy, once each; the
// admission of the next pod of that image then asks nothing.
func TestPrefill(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	asked := map[string]int{}
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
		w.Header().Set("Content-Length", "10")
	}))
	defer proxy.Close()
	host := strings.TrimPrefix(proxy.URL, "https://")
	live := kit.ProxyLive(t, proxy)
	state := kit.StateOf(t, live)
	metrics := kit.Handler(t, state, webhook.PathMutate).Metrics
	cs := startCluster(t, "shop")
	if _, err := cs.CoreV1().Pods("shop").Create(t.Context(), pod("shop", "web", nil, "library/web:1", host+"/library/migrated:1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	inv, err := New(cs, live, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Prefill(func(ctx context.Context, ref string) { state.Prefill(ctx, metrics, ref) }); err != nil {
		t.Fatal(err)
	}
	go func() { _ = inv.Start(t.Context()) }()
	count := func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprint(asked)
	}
	want := fmt.Sprint(map[string]int{"/v2/library/migrated/manifests/1": 1, "/v2/library/web/manifests/1": 1})
	kit.Eventually(t, "the informer's first list to ask the proxy", func(context.Context) error {
		if got := count(); got != want {
			return fmt.Errorf("proxy asked %s", got)
		}
		return nil
	})

	h := &webhook.PodHandler{State: state, Metrics: metrics, Path: webhook.PathMutate}
	resp := h.Handle(t.Context(), kit.PodRequest(t, "shop", "library/web:1"))
	if len(resp.Patches) == 0 || count() != want {
		t.Errorf("the next pod: patches %v, proxy asked %s; want it rewritten from the cached verdict, nothing asked", resp.Patches, count())
	}
}
