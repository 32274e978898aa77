package fleet

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxOwnerDepth bounds the walk up controller references: a cycle (never
// made by Kubernetes' own controllers, but ownerReferences are writable)
// ends there rather than looping.
const maxOwnerDepth = 8

// Owners maps an object (namespace, Kind, name) to its controller, for the
// intermediate kinds between a pod and its top controller: ReplicaSets
// (Deployments) and Jobs (CronJobs).
type Owners map[objectKey]objectKey

// objectKey names a namespaced object.
type objectKey struct {
	namespace, kind, name string
}

// Add records that the object of kind with meta is controlled by its
// controller reference, if it has one.
func (o Owners) Add(kind string, meta metav1.Object) {
	if ref := metav1.GetControllerOfNoCopy(meta); ref != nil {
		o[objectKey{meta.GetNamespace(), kind, meta.GetName()}] = objectKey{meta.GetNamespace(), ref.Kind, ref.Name}
	}
}

// Top returns the top controller of a pod as Kind/name: its controller,
// that one's controller, and so on as far as o knows; Pod/name when the pod
// has no controller.
func (o Owners) Top(pod metav1.Object) string {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		return "Pod/" + pod.GetName()
	}
	top := objectKey{pod.GetNamespace(), ref.Kind, ref.Name}
	for range maxOwnerDepth {
		parent, ok := o[top]
		if !ok {
			break
		}
		top = parent
	}
	return top.kind + "/" + top.name
}
