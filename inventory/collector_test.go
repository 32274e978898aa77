package inventory

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/wellknown"
)

func pod(ns, name string, labels map[string]string, images ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	for i, image := range images {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: string(rune('a' + i)), Image: image})
	}
	return p
}

func TestCollector(t *testing.T) {
	t.Parallel()
	const audit = `
mode: audit
mirrors: [{source: docker.io, target: proxy.internal/hub}, {source: ghcr.io, target: proxy.internal/ghcr}]
exclude: {namespaces: [kube-system]}
publicRegistries: {add: [nvcr.io]}
`
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, p := range []*corev1.Pod{
		pod("shop", "web", nil, "nginx", "ghcr.io/a/b:1", "proxy.internal/hub/library/redis"),
		pod("shop", "gpu", nil, "nvcr.io/nvidia/cuda:12", "corp.internal/x:1"),
		pod("shop", "dbg", map[string]string{wellknown.LabelSkip: "true"}, "alpine"),
		pod("kube-system", "dns", nil, "registry.k8s.io/coredns:1"),
	} {
		kept, err := Transform(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Add(kept); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(audit), 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := liveconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newCollector(store, live))
	// Audit mode in the config changes nothing: the gauge judges as enforce.
	want := map[string]float64{
		"rewritten docker.io":      1,
		"rewritten ghcr.io":        1,
		"already-proxied other":    1,
		"unrouted-public nvcr.io":  1,
		"no-rule other":            1,
		"opted-out other":          1,
		"excluded-namespace other": 1,
	}
	if got := series(t, reg); !reflect.DeepEqual(got, want) {
		t.Errorf("series:\n%v\nwant:\n%v", got, want)
	}
	// A reload, as the webhook's ConfigWatcher makes it, is seen by the next scrape.
	metrics, err := liveconfig.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	watcher := liveconfig.NewWatcher(live, metrics, logr.Discard())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- watcher.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the watch begin
	if err := os.WriteFile(path, []byte("mirrors: [{source: nvcr.io, target: proxy.internal/nvcr}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); series(t, reg)["rewritten nvcr.io"] != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after reload: rewritten nvcr.io = %v, want 1", series(t, reg)["rewritten nvcr.io"])
		}
	}
}

// series gathers the gauge as "outcome registry" -> value.
func series(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != wellknown.MetricPodImages {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["outcome"]+" "+labels["registry"]] = m.GetGauge().GetValue()
		}
	}
	return out
}
