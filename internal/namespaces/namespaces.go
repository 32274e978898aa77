// Package namespaces reads the labels of namespaces, which scoped mirrors
// with a namespaceSelector route by (rewrite.Rewriter.In): one Watch for a
// long-running process (the webhook: a metadata-only informer, with a GET
// for a namespace not yet in its cache) and one List for a command that
// runs once (report). Only metadata is read, and only name and labels are
// kept.
package namespaces

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/pager"
)

// GVR is the namespaces resource.
var GVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// getTimeout bounds the GET of a namespace the informer has not seen yet
// (created a moment before its first pod): well inside the webhook's
// 5-second admission timeout.
const getTimeout = time.Second

// Watch keeps every namespace's labels in an informer's cache.
type Watch struct {
	informer cache.SharedIndexInformer
	client   metadata.Interface
}

// NewWatch builds the informer on client; Start runs it.
func NewWatch(client metadata.Interface) (*Watch, error) {
	informer := metadatainformer.NewFilteredMetadataInformer(client, GVR, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	if err := informer.SetTransform(keepLabels); err != nil {
		return nil, fmt.Errorf("namespace informer transform: %w", err)
	}
	return &Watch{informer: informer, client: client}, nil
}

// keepLabels drops all but the name and labels, so the cache costs little
// per namespace.
func keepLabels(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil // a tombstone: the informer handles it
	}
	return &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Labels: m.Labels, ResourceVersion: m.ResourceVersion}}, nil
}

// Start runs the informer until ctx ends.
func (w *Watch) Start(ctx context.Context) error {
	w.informer.RunWithContext(ctx)
	return nil
}

// Labels returns the labels of namespace name: from the cache, or else with
// one GET bounded by getTimeout. They always hold
// kubernetes.io/metadata.name, as the API server sets it.
func (w *Watch) Labels(ctx context.Context, name string) (map[string]string, error) {
	if obj, ok, err := w.informer.GetStore().GetByKey(name); err == nil && ok {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			return LabelsOf(name, m.Labels), nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, getTimeout)
	defer cancel()
	m, err := w.client.Resource(GVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read the labels of namespace %s: %w", name, err)
	}
	return LabelsOf(name, m.Labels), nil
}

// List returns the labels of every namespace, by name, with one paged list.
func List(ctx context.Context, client metadata.Interface) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return client.Resource(GVR).List(ctx, opts)
	})
	err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		m, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			return fmt.Errorf("namespace list: unexpected %T", obj)
		}
		out[m.Name] = LabelsOf(m.Name, m.Labels)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	return out, nil
}

// withName is labels with kubernetes.io/metadata.name set to name, which
// the API server sets on every namespace (an older object may lack it).
func LabelsOf(name string, labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[corev1.LabelMetadataName] = name
	return out
}
