package inventory

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/podspec"
)

// Transform reduces a listed or watched Pod to what the gauge reads, before
// the informer caches it: names and images of every container list, image
// volumes, the opt-out label, the mirror-pod annotation and the controller
// reference. Anything else (a deletion marker) passes unchanged.
func Transform(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	kept := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion,
	}}
	if v, ok := pod.Labels[podspec.LabelSkip]; ok {
		kept.Labels = map[string]string{podspec.LabelSkip: v}
	}
	if v, ok := pod.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		kept.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: v}
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		kept.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	kept.Spec.InitContainers = containers(pod.Spec.InitContainers)
	kept.Spec.Containers = containers(pod.Spec.Containers)
	for _, c := range pod.Spec.EphemeralContainers {
		kept.Spec.EphemeralContainers = append(kept.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, Image: c.Image}})
	}
	for _, v := range pod.Spec.Volumes {
		if v.Image != nil {
			kept.Spec.Volumes = append(kept.Spec.Volumes, corev1.Volume{Name: v.Name,
				VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: v.Image.Reference}}})
		}
	}
	return kept, nil
}

// containers keeps the name and image of each container.
func containers(list []corev1.Container) []corev1.Container {
	if len(list) == 0 {
		return nil
	}
	kept := make([]corev1.Container, len(list))
	for i, c := range list {
		kept[i] = corev1.Container{Name: c.Name, Image: c.Image}
	}
	return kept
}
