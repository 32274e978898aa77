package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// syncTimeout bounds the wait for the first list before the gauge is served
// anyway (a scrape before it shows what has been listed so far).
const syncTimeout = 2 * time.Minute

// mayPull selects the pods whose containers may still start and pull: a
// Succeeded or Failed pod pulls nothing again.
var mayPull = fields.AndSelectors(
	fields.OneTermNotEqualSelector("status.phase", string(corev1.PodSucceeded)),
	fields.OneTermNotEqualSelector("status.phase", string(corev1.PodFailed)),
).String()

// Inventory is the pod informer behind the gauge; Start runs it.
type Inventory struct {
	informer cache.SharedIndexInformer
	log      logr.Logger
	live     *liveconfig.Live
	prefill  func(context.Context) // the checks ahead of time (Prefill), or nil
}

// New builds the informer on cs and registers the gauge, judged with live's
// config in force, and the watch-error counter on reg.
func New(cs kubernetes.Interface, live *liveconfig.Live, reg prometheus.Registerer, log logr.Logger) (*Inventory, error) {
	informer := podInformer(cs)
	if err := informer.SetTransform(Transform); err != nil {
		return nil, fmt.Errorf("pod informer transform: %w", err)
	}
	watchErrors, err := RegisterMetrics(reg, informer.GetStore(), live)
	if err != nil {
		return nil, err
	}
	if err := informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		watchErrors.Inc()
		log.Error(err, "listing or watching pods for "+wellknown.MetricPodImages)
	}); err != nil {
		return nil, fmt.Errorf("pod informer error handler: %w", err)
	}
	return &Inventory{informer: informer, live: live, log: log}, nil
}

// RegisterMetrics registers the gauge over pods, judged with live's
// config in force, and the watch-error counter it returns, on reg. New calls it;
// hack/tools/promql calls it to check the chart's queries against these names.
func RegisterMetrics(reg prometheus.Registerer, pods Pods, live *liveconfig.Live) (prometheus.Counter, error) {
	watchErrors := prometheus.NewCounter(prometheus.CounterOpts{
		Name: wellknown.MetricPodImagesWatchErrors,
		Help: "Failed lists and watches of the pod informer behind pullthrough_pod_images.",
	})
	for _, c := range []prometheus.Collector{newCollector(pods, live), watchErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register %s: %w", wellknown.MetricPodImages, err)
		}
	}
	return watchErrors, nil
}

// podInformer lists and watches the pods that may still pull, keeping them
// whole until a transform is set.
func podInformer(cs kubernetes.Interface) cache.SharedIndexInformer {
	lw := cache.NewFilteredListWatchFromClient(cs.CoreV1().RESTClient(), "pods", metav1.NamespaceAll,
		func(o *metav1.ListOptions) { o.FieldSelector = mayPull })
	return cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
}

// Start runs the informer until ctx ends; it logs when the first list is in.
func (i *Inventory) Start(ctx context.Context) error {
	go func() {
		synced, cancel := context.WithTimeout(ctx, syncTimeout)
		defer cancel()
		if cache.WaitForCacheSync(synced.Done(), i.informer.HasSynced) {
			i.log.Info("pod images listed", "pods", len(i.informer.GetStore().ListKeys()))
		} else if ctx.Err() == nil {
			i.log.Error(errors.New("first pod list not done"), "serving "+wellknown.MetricPodImages+" from a partial list", "after", syncTimeout)
		}
	}()
	if i.prefill != nil {
		go i.prefill(ctx)
	}
	i.informer.RunWithContext(ctx)
	return nil
}
