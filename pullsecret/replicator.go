package pullsecret

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/wellknown"
)

// FieldManager is the server-side apply field manager of the copies.
const FieldManager = "pullthrough-pull-secret"

// resync is how often every namespace is looked at again although nothing
// was seen to change: a config reload that stops excluding a namespace, or a
// write that failed too often to stay queued. It costs no API call where
// nothing is to do.
const resync = 30 * time.Second

// namespaces is the resource whose metadata the replicator watches.
var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// Options say what the replicator copies, and where from.
type Options struct {
	// Name of the Secret, in the source namespace and in every copy.
	Name string
	// Source is the namespace of the Secret copied (the release's).
	Source string
	// Owner, when set, is named by every copy, so that deleting it (the
	// chart's ClusterRole, when the replicator is switched off or the
	// release uninstalled) makes the garbage collector delete the copies.
	Owner *metav1.OwnerReference
}

// Replicator copies the source Secret into the namespaces whose pods are
// rewritten and keeps the copies equal to it; Start runs it.
type Replicator struct {
	opts  Options
	cs    kubernetes.Interface
	index *Index
	live  *liveconfig.Live
	log   logr.Logger

	source, namespaces cache.SharedIndexInformer
	queue              workqueue.TypedRateLimitingInterface[string]
}

// NewReplicator builds a Replicator writing through cs, seeing its copies
// through index and namespaces through index's client, judging them with
// live's config in force, counting its writes in index's Metrics.
func NewReplicator(opts Options, cs kubernetes.Interface, index *Index, live *liveconfig.Live, log logr.Logger) (*Replicator, error) {
	if opts.Name == "" || opts.Source == "" {
		return nil, errors.New("pull-secret replicator: the Secret's name and source namespace are required")
	}
	r := &Replicator{opts: opts, cs: cs, index: index, live: live, log: log,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "pull-secret"}),
	}
	selector := fields.OneTermEqualSelector("metadata.name", opts.Name).String()
	r.source = cache.NewSharedIndexInformer(cache.NewFilteredListWatchFromClient(cs.CoreV1().RESTClient(), "secrets", opts.Source,
		func(o *metav1.ListOptions) { o.FieldSelector = selector }), &corev1.Secret{}, 0, cache.Indexers{})
	r.namespaces = metadatainformer.NewFilteredMetadataInformer(index.client, namespaces, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	copies, err := index.informer(opts.Name)
	if err != nil {
		return nil, err
	}
	if err := index.countWatchErrors(r.source, "the source Secret "+opts.Source+"/"+opts.Name); err != nil {
		return nil, err
	}
	if err := index.countWatchErrors(r.namespaces, "Namespaces"); err != nil {
		return nil, err
	}
	for _, inf := range []cache.SharedIndexInformer{r.namespaces, copies} {
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { r.enqueue(obj) },
			UpdateFunc: func(_, obj any) { r.enqueue(obj) },
			DeleteFunc: func(obj any) { r.enqueue(obj) },
		}); err != nil {
			return nil, fmt.Errorf("pull-secret replicator: %w", err)
		}
	}
	// Any change of the source concerns every namespace.
	if _, err := r.source.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { r.enqueueAll() },
		UpdateFunc: func(any, any) { r.enqueueAll() },
		DeleteFunc: func(any) { r.enqueueAll() },
	}); err != nil {
		return nil, fmt.Errorf("pull-secret replicator: %w", err)
	}
	return r, nil
}

// enqueue queues the namespace an object is, or is in.
func (r *Replicator) enqueue(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	if ns := m.GetNamespace(); ns != "" {
		r.queue.Add(ns)
	} else {
		r.queue.Add(m.GetName())
	}
}

// enqueueAll queues every namespace there is and every one holding a copy.
func (r *Replicator) enqueueAll() {
	all := sets.New(r.namespaces.GetStore().ListKeys()...)
	if copies, err := r.index.informer(r.opts.Name); err == nil {
		for _, obj := range copies.GetStore().List() {
			all.Insert(obj.(*metav1.PartialObjectMetadata).Namespace)
		}
	}
	for ns := range all {
		r.queue.Add(ns)
	}
}

// Start runs the informers and, once each has listed (a source not yet
// listed must not read as deleted), the worker, until ctx ends.
func (r *Replicator) Start(ctx context.Context) error {
	go r.source.RunWithContext(ctx)
	go r.namespaces.RunWithContext(ctx)
	copies, err := r.index.informer(r.opts.Name)
	if err != nil {
		return err
	}
	if !cache.WaitForCacheSync(ctx.Done(), r.source.HasSynced, r.namespaces.HasSynced, copies.HasSynced) {
		return nil // ctx ended
	}
	r.log.Info("replicating the pull secret", "name", r.opts.Name, "source", r.opts.Source)
	go func() {
		ticker := time.NewTicker(resync)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				r.enqueueAll()
			}
		}
	}()
	r.enqueueAll()
	go func() { <-ctx.Done(); r.queue.ShutDown() }()
	for r.next(ctx) {
	}
	return nil
}

// next handles one queued namespace; false once the queue is shut down.
func (r *Replicator) next(ctx context.Context) bool {
	ns, quit := r.queue.Get()
	if quit {
		return false
	}
	defer r.queue.Done(ns)
	action, err := r.sync(ctx, ns)
	if action != ActionNone {
		result := "success"
		if err != nil {
			result = "error"
		}
		r.index.metrics.writes.WithLabelValues(string(action), result).Inc()
	}
	if err != nil {
		r.log.Error(err, "pull-secret copy not written; retrying", "namespace", ns, "name", r.opts.Name, "action", action)
		r.queue.AddRateLimited(ns)
		return true
	}
	r.queue.Forget(ns)
	return true
}

// sync brings namespace ns to what Decide says, and returns what it did.
func (r *Replicator) sync(ctx context.Context, ns string) (Action, error) {
	if ns == r.opts.Source {
		return ActionNone, nil // the source itself
	}
	var source *corev1.Secret
	sourceHash := ""
	if obj, found, err := r.source.GetStore().GetByKey(r.opts.Source + "/" + r.opts.Name); err == nil && found {
		source = obj.(*corev1.Secret)
		sourceHash = Hash(source)
	}
	qualified := false
	if obj, found, err := r.namespaces.GetStore().GetByKey(ns); err == nil && found {
		m := obj.(*metav1.PartialObjectMetadata)
		qualified = qualifies(r.live.Config(), r.opts.Source, ns, m.Labels, m.DeletionTimestamp != nil)
	}
	held := r.index.copyIn(ns, r.opts.Name, r.opts.Source)
	action := Decide(sourceHash, held, qualified)
	var err error
	switch action {
	case ActionCreate, ActionUpdate:
		err = r.apply(ctx, ns, source, sourceHash, held)
	case ActionDelete:
		err = r.cs.CoreV1().Secrets(ns).Delete(ctx, r.opts.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &held.uid, ResourceVersion: &held.resourceVersion}})
		if apierrors.IsNotFound(err) {
			err = nil
		}
	}
	if err == nil && action != ActionNone {
		r.log.Info("pull-secret copy written", "namespace", ns, "name", r.opts.Name, "action", action)
	}
	return action, err
}

// apply writes the copy of source into ns. Creating, it does not force, so a
// Secret someone wrote meanwhile conflicts rather than being taken over;
// updating, it forces on the condition that the copy is still the one seen.
// Copies are compared by their hash annotation alone (their data is never
// read), so a hand edit of a copy's data stays until the source changes.
func (r *Replicator) apply(ctx context.Context, ns string, source *corev1.Secret, hash string, existing *Copy) error {
	secret := corev1ac.Secret(r.opts.Name, ns).
		WithLabels(map[string]string{wellknown.LabelCopiedFrom: r.opts.Source}).
		WithAnnotations(map[string]string{wellknown.AnnotationSourceHash: hash}).
		WithType(source.Type).
		WithData(source.Data)
	if o := r.opts.Owner; o != nil {
		secret.WithOwnerReferences(metav1ac.OwnerReference().WithAPIVersion(o.APIVersion).WithKind(o.Kind).WithName(o.Name).WithUID(o.UID))
	}
	force := existing != nil
	if force {
		secret.WithResourceVersion(existing.resourceVersion)
	}
	_, err := r.cs.CoreV1().Secrets(ns).Apply(ctx, secret, metav1.ApplyOptions{FieldManager: FieldManager, Force: force})
	return err
}
