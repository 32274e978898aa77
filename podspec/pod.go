package podspec

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// OptedOut reports whether a pod with these labels and annotations is left
// alone as a whole: it carries wellknown.LabelSkip=true, or it is a mirror pod (a
// static pod's copy, whose spec the API server may not change).
func OptedOut(labels, annotations map[string]string) bool {
	_, mirror := annotations[corev1.MirrorPodAnnotationKey]
	return mirror || labels[wellknown.LabelSkip] == "true"
}

// DecidePod decides every image of a pod's spec as the webhook does: all
// opted-out for a pod that opted out, all excluded-namespace in an excluded
// namespace, else each image with rw. The webhook, `pullthrough report` and
// the running-pods gauge share it, so they cannot disagree.
func DecidePod(rw *rewrite.Rewriter, spec *Spec, optedOut, nsExcluded bool) []Change {
	switch {
	case optedOut:
		return Skipped(spec, rewrite.OutcomeOptedOut)
	case nsExcluded:
		return Skipped(spec, rewrite.OutcomeExcludedNamespace)
	}
	return Decide(rw, spec)
}
