package podspec

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Container lists of a PodSpec, by their JSON field names. Every one of them
// pulls images: a policy that misses initContainers (native sidecars) or
// ephemeralContainers (kubectl debug) is a policy with a hole in it.
const (
	FieldInitContainers      = "initContainers"
	FieldContainers          = "containers"
	FieldEphemeralContainers = "ephemeralContainers"
)

// ContainerFields lists the container lists in the order a pod starts them.
var ContainerFields = []string{FieldInitContainers, FieldContainers, FieldEphemeralContainers}

// Change is the decision for one container's image.
type Change struct {
	// Field is the container list: initContainers, containers or ephemeralContainers.
	Field string
	// Index is the container's position in that list.
	Index int
	// Container is the container's name.
	Container string
	// Old is the image as written.
	Old string
	rewrite.Result
}

// Decide decides every image of spec with rw, in ContainerFields order,
// without changing spec; Apply makes the rewritten ones take effect.
func Decide(rw *rewrite.Rewriter, spec *corev1.PodSpec) []Change {
	return eachImage(spec, rw.Rewrite)
}

// Skipped gives every image of spec the same outcome and changes nothing, for
// decisions made about the whole pod (opted out, excluded namespace) that
// must still be counted per image.
func Skipped(spec *corev1.PodSpec, why rewrite.Outcome) []Change {
	return eachImage(spec, func(image string) rewrite.Result { return rewrite.Result{Image: image, Outcome: why} })
}

// Images lists every container image of spec with no decision made (empty
// Outcome), for callers that compare two versions of a pod or show them.
func Images(spec *corev1.PodSpec) []Change {
	return eachImage(spec, func(image string) rewrite.Result { return rewrite.Result{Image: image} })
}

// Apply sets the image of every rewritten Change in spec and returns how many
// it set. Changes must come from the same spec.
func Apply(spec *corev1.PodSpec, changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Outcome != rewrite.OutcomeRewritten {
			continue
		}
		switch c.Field {
		case FieldInitContainers:
			spec.InitContainers[c.Index].Image = c.Image
		case FieldContainers:
			spec.Containers[c.Index].Image = c.Image
		case FieldEphemeralContainers:
			spec.EphemeralContainers[c.Index].Image = c.Image
		}
		n++
	}
	return n
}

// eachImage calls decide for every container image of spec.
func eachImage(spec *corev1.PodSpec, decide func(image string) rewrite.Result) []Change {
	changes := make([]Change, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	add := func(field string, i int, name, image string) {
		changes = append(changes, Change{Field: field, Index: i, Container: name, Old: image, Result: decide(image)})
	}
	for i, c := range spec.InitContainers {
		add(FieldInitContainers, i, c.Name, c.Image)
	}
	for i, c := range spec.Containers {
		add(FieldContainers, i, c.Name, c.Image)
	}
	for i, c := range spec.EphemeralContainers {
		add(FieldEphemeralContainers, i, c.Name, c.Image)
	}
	return changes
}
