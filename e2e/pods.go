package e2e

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/wellknown"
)

// EachContainer calls fn for every image of pod (containers of every list
// and image volumes, by their annotation key), with what pullthrough
// recorded about it: the original image of a rewritten one, or "would be X"
// on the audit path; "" when neither.
func EachContainer(pod corev1.Pod, fn func(name, image, note string)) {
	originals := annotationMap(pod, wellknown.AnnotationOriginalImages)
	proposals := annotationMap(pod, wellknown.AnnotationWouldRewrite)
	note := func(name string) string {
		if p, ok := proposals[name]; ok {
			return "would be " + p
		}
		return originals[name]
	}
	for _, c := range podspec.Skipped(podspec.FromPodSpec(&pod.Spec), "") {
		fn(c.Key(), c.Old, note(c.Key()))
	}
}

// annotationMap decodes one of pullthrough's JSON annotations; a missing or
// unreadable one is empty (this is for display, the tests assert the JSON).
func annotationMap(pod corev1.Pod, key string) map[string]string {
	m := map[string]string{}
	if v, ok := pod.Annotations[key]; ok {
		_ = json.Unmarshal([]byte(v), &m)
	}
	return m
}
