package fleet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/pager"

	nslabels "github.com/pullthrough/pullthrough/internal/namespaces"
)

// pageSize is the limit of each list request: a cluster of any size is read
// a page at a time.
const pageSize = 500

// intermediates are the kinds between a pod and its top controller, listed
// once per namespace (metadata only) so that owners resolve without a read
// per pod.
var intermediates = []struct {
	kind string
	gvr  schema.GroupVersionResource
}{
	{"ReplicaSet", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}},
	{"Job", schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}},
}

// Cluster is one API server to report on.
type Cluster struct {
	// Name is the kubeconfig context, the rows' cluster.
	Name     string
	Pods     kubernetes.Interface
	Metadata metadata.Interface
}

// Collect lists the pods of c in namespaces (all when empty) and returns a
// row per image reference, with its owner; with scoped mirrors, each pod is
// routed in its namespace, whose labels one list of namespaces reads. Any list that fails fails the
// cluster: a partial list would look complete.
func Collect(ctx context.Context, c Cluster, namespaces []string, j Judge) ([]Row, error) {
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	if j.Scoped {
		labels, err := nslabels.List(ctx, c.Metadata)
		if err != nil {
			return nil, err
		}
		j.labels = labels
	}
	owners := Owners{}
	for _, ns := range namespaces {
		for _, in := range intermediates {
			err := each(ctx, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
				return c.Metadata.Resource(in.gvr).Namespace(ns).List(ctx, opts)
			}, func(obj *metav1.PartialObjectMetadata) { owners.Add(in.kind, obj) })
			if err != nil {
				return nil, fmt.Errorf("list %s%s: %w", in.gvr.GroupResource(), where(ns), err)
			}
		}
	}
	var rows []Row
	for _, ns := range namespaces {
		err := each(ctx, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return c.Pods.CoreV1().Pods(ns).List(ctx, opts)
		}, func(pod *corev1.Pod) { rows = append(rows, j.PodRows(c.Name, owners.Top(pod), pod)...) })
		if err != nil {
			return nil, fmt.Errorf("list pods%s: %w", where(ns), err)
		}
	}
	return rows, nil
}

// each calls fn with every item of a paged list.
func each[T runtime.Object](ctx context.Context, list pager.ListPageFunc, fn func(T)) error {
	p := pager.New(list)
	p.PageSize = pageSize
	return p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		item, ok := obj.(T)
		if !ok {
			return fmt.Errorf("list item is a %T", obj)
		}
		fn(item)
		return nil
	})
}

// where names the namespace of a list in an error.
func where(namespace string) string {
	if namespace == "" {
		return " across the cluster"
	}
	return " in namespace " + namespace
}
