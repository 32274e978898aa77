package verdicts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
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
	kit.Namespace(t, cs, ns, nil)
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

	state := kit.ProxyState(t, proxy)
	w, err := NewWatcher(cs, ns, DefaultName, state, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Start(ctx) }()
	kit.Eventually(t, "the watcher's first list of the record", func(context.Context) error {
		if !w.Synced() {
			return errors.New("not synced")
		}
		return nil
	})
	h := kit.Handler(t, state, webhook.PathMutate)
	want := map[string]string{"library/app-0:1": host + "/library/app-0:1", "library/app-1:1": "library/app-1:1"}
	if got := admit(t, h, "library/app-0:1", "library/app-1:1"); fmt.Sprint(got) != fmt.Sprint(want) || asked.Load() != 0 {
		t.Errorf("from the record: %v after %d checks of the proxy; want %v, none", got, asked.Load(), want)
	}
}

// admit sends a pod of images to h and returns each image's final value by its original.
func admit(t *testing.T, h *webhook.PodHandler, images ...string) map[string]string {
	t.Helper()
	resp := h.Handle(t.Context(), kit.PodRequest(t, "shop", images...))
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
