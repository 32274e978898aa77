package pullfailures

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// TestWatcher runs the informer against a real API server: its field
// selectors are the server's, an event that exists before it starts is the
// baseline, a new one counts its count, a count raised by the kubelet's
// correlator counts the increase, and other reasons and kinds are not listed.
func TestWatcher(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("e2e: runs an API server; skipped under -short")
	}
	c := cluster.StartForTest(t, cluster.Options{})
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	kit.Namespace(t, cs, "shop", nil)
	create := func(e *corev1.Event) *corev1.Event {
		t.Helper()
		got, err := cs.CoreV1().Events("shop").Create(ctx, e, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	create(event("before", "proxy.internal/hub/library/old:1", "429 Too Many Requests", 4))

	reg := prometheus.NewRegistry()
	w, err := New(cs, testLive(t), reg, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = w.Start(runCtx) }()
	waitSynced(t, w)

	hub := create(event("hub", "proxy.internal/hub/library/shop:1", "429 Too Many Requests", 1))
	pulled := event("pulled", "proxy.internal/hub/library/shop:1", "429 Too Many Requests", 1)
	pulled.Reason = "Pulled"
	create(pulled)
	node := event("node", "proxy.internal/hub/library/shop:1", "429 Too Many Requests", 1)
	node.InvolvedObject.Kind = "Node"
	create(node)
	create(event("quay", "quay-proxy.internal/calico/node:v3", "404 Not Found", 1))
	hub.Count = 3
	if _, err := cs.CoreV1().Events("shop").Update(ctx, hub, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	want := map[[2]string]float64{{"docker.io", "429"}: 3, {"quay.io", "404"}: 1}
	var got map[[2]string]float64
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got = map[[2]string]float64{}
		families, err := reg.Gather()
		if err != nil {
			return false, err
		}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if f.GetName() == "pullthrough_pull_failures_total" {
					got[[2]string{labels["registry"], labels["reason"]}] = m.GetCounter().GetValue()
				}
			}
		}
		return len(got) == len(want) && got[[2]string{"docker.io", "429"}] == 3 && got[[2]string{"quay.io", "404"}] == 1, nil
	})
	if err != nil {
		t.Errorf("counted %v, want %v", got, want)
	}
	if n := testutil.CollectAndCount(reg, "pullthrough_pull_failures_watch_errors_total"); n != 1 {
		t.Errorf("watch errors series: %d, want 1", n)
	}
}

// waitSynced waits for the informer's first list.
func waitSynced(t *testing.T, w *Watcher) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return w.informer.HasSynced(), nil
	})
	if err != nil {
		t.Fatal("the event informer never synced")
	}
}
