package pullfailures

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/liveconfig"
)

// testLive routes docker.io to proxy.internal/hub and quay.io to quay-proxy.internal.
func testLive(t testing.TB) *liveconfig.Live {
	t.Helper()
	return kit.Live(t, "mirrors:\n  - {source: docker.io, target: proxy.internal/hub}\n  - {source: quay.io, target: quay-proxy.internal}\n")
}

// event is a kubelet Failed event about a pod: a pull of image that failed
// with status, count times.
func event(name, image, status string, count int32) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Reason: "Failed", Count: count,
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web"},
		Message:        `Failed to pull image "` + image + `": rpc error: code = Unknown desc = failed to resolve reference: unexpected status from HEAD request to https://x/v2/y/manifests/1: ` + status}
}

func kept(t *testing.T, e *corev1.Event) *failedPull {
	t.Helper()
	obj, err := Transform(e)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*failedPull)
}

// TestCounter: each failure counts once, however often the event is updated;
// the first list's events count nothing; only images under a target count,
// labelled by their mirror's source.
func TestCounter(t *testing.T) {
	t.Parallel()
	c, _, err := RegisterMetrics(prometheus.NewRegistry(), testLive(t))
	if err != nil {
		t.Fatal(err)
	}
	h := c.handler().(interface {
		OnAdd(obj any, initial bool)
		OnUpdate(old, now any)
	})
	hub := event("a", "proxy.internal/hub/library/shop:1", "429 Too Many Requests", 1)
	h.OnAdd(kept(t, event("old", "proxy.internal/hub/library/old:1", "429 Too Many Requests", 7)), true) // before the start: baseline
	h.OnAdd(kept(t, hub), false)
	again := hub.DeepCopy()
	again.Count = 3
	h.OnUpdate(kept(t, hub), kept(t, again))
	h.OnUpdate(kept(t, again), kept(t, again)) // a resync: no new occurrence
	series := event("b", "quay-proxy.internal/calico/node:v3", "401 Unauthorized", 0)
	series.Series = &corev1.EventSeries{Count: 2}
	h.OnAdd(kept(t, series), false)
	h.OnAdd(kept(t, event("c", "docker.io/library/shop:1", "429 Too Many Requests", 1)), false) // direct: not pullthrough's
	h.OnAdd(kept(t, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Reason: "Failed", Message: "Error: ErrImagePull"}), false)

	if n := testutil.CollectAndCount(c.failures); n != 2 {
		t.Errorf("%d series, want 2: docker.io 429 and quay.io 401", n)
	}
	for _, tc := range []struct {
		registry, reason string
		want             float64
	}{
		{"docker.io", "429", 3},
		{"quay.io", "401", 2},
	} {
		if got := testutil.ToFloat64(c.failures.WithLabelValues(tc.registry, tc.reason)); got != tc.want {
			t.Errorf("%s %s = %v, want %v", tc.registry, tc.reason, got, tc.want)
		}
	}
}
