package inventory

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/wellknown"
)

// cachedPod is what the informer keeps of a Pod: its key, the marks of an
// opt-out and its controller in ObjectMeta, and podspec's Spec (the name and
// image of every entry that names one). A corev1.Pod with every other field
// emptied would still cost its empty structs, some 3.5 KB a pod.
type cachedPod struct {
	metav1.ObjectMeta
	Spec podspec.Spec
}

var _ runtime.Object = (*cachedPod)(nil)

// GetObjectKind is runtime.Object's: a cached pod carries no kind.
func (*cachedPod) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject is runtime.Object's.
func (p *cachedPod) DeepCopyObject() runtime.Object {
	c := &cachedPod{ObjectMeta: *p.DeepCopy(), Spec: p.Spec} // p.DeepCopy is ObjectMeta's, promoted
	c.Spec.InitContainers = slices.Clone(p.Spec.InitContainers)
	c.Spec.Containers = slices.Clone(p.Spec.Containers)
	c.Spec.EphemeralContainers = slices.Clone(p.Spec.EphemeralContainers)
	c.Spec.Volumes = slices.Clone(p.Spec.Volumes) // Volume.Image is never modified
	return c
}

// Transform reduces a listed or watched Pod to a cachedPod before the
// informer keeps it: every image through podspec.FromPodSpec, the opt-out
// label, the mirror-pod annotation and the controller reference. Anything
// else (a deletion marker) passes unchanged.
func Transform(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	kept := &cachedPod{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		Spec:       *podspec.FromPodSpec(&pod.Spec),
	}
	// Other volumes name no image; the cache never patches, so their
	// places in the list need not be kept.
	kept.Spec.Volumes = slices.DeleteFunc(kept.Spec.Volumes, func(v podspec.Volume) bool { return v.Image == nil })
	if v, ok := pod.Labels[wellknown.LabelSkip]; ok {
		kept.Labels = map[string]string{wellknown.LabelSkip: v}
	}
	if v, ok := pod.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		kept.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: v}
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		kept.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	return kept, nil
}
