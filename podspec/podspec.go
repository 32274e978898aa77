package podspec

import (
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

// Spec is what routing reads of a pod spec: the name and image of every
// container, per list. It decodes from a PodSpec's JSON (or a pod
// template's spec) and skips everything else, so a caller on the admission
// path reads a few hundred bytes of a pod rather than the whole of it.
type Spec struct {
	InitContainers      []Container `json:"initContainers"`
	Containers          []Container `json:"containers"`
	EphemeralContainers []Container `json:"ephemeralContainers"`
}

// Container is one container's name and image.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// List returns the container list named by field (a Field* constant).
func (s *Spec) List(field string) []Container {
	switch field {
	case FieldInitContainers:
		return s.InitContainers
	case FieldContainers:
		return s.Containers
	case FieldEphemeralContainers:
		return s.EphemeralContainers
	}
	return nil
}

// Decide decides every image of spec with rw, in ContainerFields order,
// without changing spec; Apply makes the rewritten ones take effect.
func Decide(rw *rewrite.Rewriter, spec *Spec) []Change {
	return eachImage(spec, rw.Rewrite)
}

// Skipped gives every image of spec the same outcome and changes nothing, for
// decisions made about the whole pod (opted out, excluded namespace) that
// must still be counted per image.
func Skipped(spec *Spec, why rewrite.Outcome) []Change {
	return eachImage(spec, func(image string) rewrite.Result { return rewrite.Result{Image: image, Outcome: why} })
}

// Images lists every container image of spec with no decision made (empty
// Outcome), for callers that compare two versions of a pod or show them.
func Images(spec *Spec) []Change {
	return eachImage(spec, func(image string) rewrite.Result { return rewrite.Result{Image: image} })
}

// Apply sets the image of every rewritten Change in spec and returns how many
// it set. Changes must come from the same spec.
func Apply(spec *Spec, changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Outcome == rewrite.OutcomeRewritten {
			spec.List(c.Field)[c.Index].Image = c.Image
			n++
		}
	}
	return n
}

// eachImage calls decide for every container image of spec.
func eachImage(spec *Spec, decide func(image string) rewrite.Result) []Change {
	changes := make([]Change, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	for _, field := range ContainerFields {
		for i, c := range spec.List(field) {
			changes = append(changes, Change{Field: field, Index: i, Container: c.Name, Old: c.Image, Result: decide(c.Image)})
		}
	}
	return changes
}
