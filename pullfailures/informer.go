package pullfailures

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/wellknown"
)

// failedOfPods selects the events the kubelet writes when a pod's pull (or
// another step of a container's start) fails.
var failedOfPods = fields.AndSelectors(
	fields.OneTermEqualSelector("involvedObject.kind", "Pod"),
	fields.OneTermEqualSelector("reason", "Failed"),
).String()

// Watcher is the Event informer behind the counter; Start runs it.
type Watcher struct {
	informer cache.SharedIndexInformer
}

// New builds the informer on cs and registers the counter, judged with
// live's config in force, and the watch-error counter on reg.
func New(cs kubernetes.Interface, live *liveconfig.Live, reg prometheus.Registerer, log logr.Logger) (*Watcher, error) {
	c, watchErrors, err := RegisterMetrics(reg, live)
	if err != nil {
		return nil, err
	}
	lw := cache.NewFilteredListWatchFromClient(cs.CoreV1().RESTClient(), "events", metav1.NamespaceAll,
		func(o *metav1.ListOptions) { o.FieldSelector = failedOfPods })
	informer := cache.NewSharedIndexInformer(lw, &corev1.Event{}, 0, cache.Indexers{})
	if err := informer.SetTransform(Transform); err != nil {
		return nil, fmt.Errorf("event informer transform: %w", err)
	}
	if err := informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		watchErrors.Inc()
		log.Error(err, "listing or watching events for "+wellknown.MetricPullFailures)
	}); err != nil {
		return nil, fmt.Errorf("event informer error handler: %w", err)
	}
	if _, err := informer.AddEventHandler(c.handler()); err != nil {
		return nil, fmt.Errorf("event informer handler: %w", err)
	}
	return &Watcher{informer: informer}, nil
}

// handler counts new events and updated counts; the events of the first list
// are the baseline.
func (c *Counter) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if now, ok := obj.(*failedPull); ok && !initial {
				c.observe(nil, now)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*failedPull)
			now, ok2 := newObj.(*failedPull)
			if ok1 && ok2 {
				c.observe(old, now)
			}
		},
	}
}

// RegisterMetrics registers pullthrough_pull_failures_total, judged with
// live's config in force, and the watch-error counter on reg. New calls it;
// hack/tools/promql and hack/docgen call it for the names.
func RegisterMetrics(reg prometheus.Registerer, live *liveconfig.Live) (*Counter, prometheus.Counter, error) {
	c := &Counter{live: live, failures: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: wellknown.MetricPullFailures,
		Help: "Failed pulls of images under a mirror's target (pointed at the proxy), from the kubelet's Failed events, by registry (the mirror's source) and reason (429, 401 for 401 or 403, 404, other).",
	}, []string{"registry", "reason"})}
	watchErrors := prometheus.NewCounter(prometheus.CounterOpts{
		Name: wellknown.MetricPullFailuresWatchErrors,
		Help: "Failed lists and watches of the event informer behind pullthrough_pull_failures_total.",
	})
	for _, m := range []prometheus.Collector{c.failures, watchErrors} {
		if err := reg.Register(m); err != nil {
			return nil, nil, fmt.Errorf("register %s: %w", wellknown.MetricPullFailures, err)
		}
	}
	return c, watchErrors, nil
}

// Start runs the informer until ctx ends.
func (w *Watcher) Start(ctx context.Context) error {
	w.informer.RunWithContext(ctx)
	return nil
}
