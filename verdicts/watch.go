package verdicts

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Watcher puts the record's entries into the webhook's cache whenever the
// record changes; Start runs it.
type Watcher struct {
	informer cache.SharedIndexInformer
}

// NewWatcher watches the one ConfigMap namespace/name (list and watch with a
// field selector on its name, which RBAC authorizes by resourceNames) and
// records its entries in state. An unreadable record and a failed list or
// watch are logged and counted in wellknown.MetricVerdictRecordErrors,
// registered on reg.
func NewWatcher(cs kubernetes.Interface, namespace, name string, state *webhook.State, reg prometheus.Registerer, log logr.Logger) (*Watcher, error) {
	failures, err := RegisterMetrics(reg)
	if err != nil {
		return nil, err
	}
	lw := cache.NewListWatchFromClient(cs.CoreV1().RESTClient(), "configmaps", namespace, fields.OneTermEqualSelector("metadata.name", name))
	informer := cache.NewSharedIndexInformer(lw, &corev1.ConfigMap{}, 0, cache.Indexers{})
	source := namespace + "/" + name
	apply := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			return
		}
		record, err := Decode(source, cm.Data[Key])
		if err != nil {
			failures.Inc()
			log.Error(err, "verdict record not read; the webhook asks the proxy as without it")
			return
		}
		for ref, e := range record {
			v := webhook.VerdictNotServed
			if e.Served {
				v = webhook.VerdictServed
			}
			state.RecordVerdict(ref, v, e.Checked)
		}
		log.V(1).Info("verdict record read", "record", source, "entries", len(record))
	}
	_, err = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    apply,
		UpdateFunc: func(_, obj any) { apply(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("verdict record handler: %w", err)
	}
	if err := informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		failures.Inc()
		log.Error(err, "watching the verdict record", "record", source)
	}); err != nil {
		return nil, fmt.Errorf("verdict record error handler: %w", err)
	}
	return &Watcher{informer: informer}, nil
}

// Start runs the watch until ctx ends; it satisfies controller-runtime's Runnable.
func (w *Watcher) Start(ctx context.Context) error {
	w.informer.RunWithContext(ctx)
	return nil
}

// Synced reports whether the record was read once (or found absent): from
// then on the webhook's cache holds its entries, and a check the webhook
// makes itself is newer than any of them.
func (w *Watcher) Synced() bool { return w.informer.HasSynced() }

// RegisterMetrics registers the watcher's error counter on reg and returns
// it; NewWatcher calls it, and hack/docgen to list it.
func RegisterMetrics(reg prometheus.Registerer) (prometheus.Counter, error) {
	failures := prometheus.NewCounter(prometheus.CounterOpts{
		Name: wellknown.MetricVerdictRecordErrors,
		Help: "Failed reads of the shared verdict record (an unreadable record, a failed list or watch); the webhook then asks the proxy as without it.",
	})
	if err := reg.Register(failures); err != nil {
		return nil, fmt.Errorf("register %s: %w", wellknown.MetricVerdictRecordErrors, err)
	}
	return failures, nil
}
