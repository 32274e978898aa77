package pullsecret

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/webhook"
)

// secrets is the resource the index watches.
var secrets = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// Index knows, per watched name, which namespaces hold a Secret of that
// name. It is the webhook's PullSecrets and the replicator's view of its
// copies.
type Index struct {
	client  metadata.Interface
	metrics *Metrics
	log     logr.Logger

	mu      sync.Mutex
	ctx     context.Context // set by Start: informers added later run on it
	informs map[string]cache.SharedIndexInformer
	// initial are the names watched from the start, which Ready waits for.
	initial []string
}

var _ webhook.PullSecrets = (*Index)(nil)

// NewIndex builds an Index on client that watches names, counting failed
// lists and watches in m.
func NewIndex(client metadata.Interface, m *Metrics, log logr.Logger, names ...string) (*Index, error) {
	i := &Index{client: client, metrics: m, log: log, informs: map[string]cache.SharedIndexInformer{}, initial: names}
	for _, n := range names {
		if _, err := i.informer(n); err != nil {
			return nil, err
		}
	}
	return i, nil
}

// Holds reports whether namespace holds a Secret named name. A name not
// watched yet (a config reload named it) is watched from now on; until its
// first list is in, no namespace holds it.
func (i *Index) Holds(namespace, name string) bool {
	inf, err := i.informer(name)
	if err != nil || !inf.HasSynced() {
		return false
	}
	_, found, err := inf.GetStore().GetByKey(namespace + "/" + name)
	return err == nil && found
}

// copyIn returns the Secret named name in namespace as a Copy of source's, or
// nil when there is none.
func (i *Index) copyIn(namespace, name, source string) *Copy {
	inf, err := i.informer(name)
	if err != nil {
		return nil
	}
	obj, found, err := inf.GetStore().GetByKey(namespace + "/" + name)
	if err != nil || !found {
		return nil
	}
	m := obj.(*metav1.PartialObjectMetadata)
	c := copyOf(&m.ObjectMeta, source)
	c.uid, c.resourceVersion = m.UID, m.ResourceVersion
	return c
}

// informer returns the informer of name, making (and, once the index runs,
// starting) it on first use.
func (i *Index) informer(name string) (cache.SharedIndexInformer, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if inf, ok := i.informs[name]; ok {
		return inf, nil
	}
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	inf := metadatainformer.NewFilteredMetadataInformer(i.client, secrets, metav1.NamespaceAll, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.FieldSelector = selector }).Informer()
	// Keep what a decision reads; managedFields alone are most of an object.
	if err := inf.SetTransform(func(obj any) (any, error) {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			m.ManagedFields = nil
		}
		return obj, nil
	}); err != nil {
		return nil, fmt.Errorf("secret %s informer: %w", name, err)
	}
	if err := i.countWatchErrors(inf, "Secrets named "+name); err != nil {
		return nil, err
	}
	i.informs[name] = inf
	if i.ctx != nil {
		go inf.RunWithContext(i.ctx)
	}
	return inf, nil
}

// countWatchErrors makes inf's failed lists and watches of what counted in
// pullthrough_pull_secret_watch_errors_total and logged.
func (i *Index) countWatchErrors(inf cache.SharedIndexInformer, what string) error {
	if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		i.metrics.watchErrors.Inc()
		i.log.Error(err, "listing or watching", "what", what)
	}); err != nil {
		return fmt.Errorf("%s informer: %w", what, err)
	}
	return nil
}

// Start runs the informers until ctx ends.
func (i *Index) Start(ctx context.Context) error {
	i.mu.Lock()
	i.ctx = ctx
	for _, inf := range i.informs {
		go inf.RunWithContext(ctx)
	}
	i.mu.Unlock()
	<-ctx.Done()
	return nil
}

// Ready is a readiness check: it fails until the first list of every name
// watched from the start is in, so that no request reaches a replica that
// would leave images direct for want of knowing. A name a reload adds is not
// waited for: a name the RBAC does not grant yet must not take every replica
// out of service; until listed, it leaves images direct.
func (i *Index) Ready(*http.Request) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	var waiting []string
	for _, n := range i.initial {
		if !i.informs[n].HasSynced() {
			waiting = append(waiting, n)
		}
	}
	if len(waiting) > 0 {
		return fmt.Errorf("secrets %v not listed yet", waiting)
	}
	return nil
}
