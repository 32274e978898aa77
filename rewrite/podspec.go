package rewrite

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
	Result
}

// PodContainers is what routing reads of a pod spec: the name and image of
// every container, per list. It decodes from a PodSpec's JSON (or a pod
// template's spec) and skips everything else, so a caller on the admission
// path reads a few hundred bytes of a pod rather than the whole of it.
type PodContainers struct {
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
func (p *PodContainers) List(field string) []Container {
	switch field {
	case FieldInitContainers:
		return p.InitContainers
	case FieldContainers:
		return p.Containers
	case FieldEphemeralContainers:
		return p.EphemeralContainers
	}
	return nil
}

// PodSpec decides every image of spec, in ContainerFields order, without
// changing spec.
func (r *Rewriter) PodSpec(spec *PodContainers) []Change {
	return eachImage(spec, r.Rewrite)
}

// Skipped gives every image of spec the same outcome and changes nothing, for
// decisions made about the whole pod (opted out, excluded namespace) that
// must still be counted per image.
func Skipped(spec *PodContainers, why Outcome) []Change {
	return eachImage(spec, func(image string) Result { return Result{Image: image, Outcome: why} })
}

// Images lists every container image of spec with no decision made (empty
// Outcome), for callers that compare two versions of a pod or show them.
func Images(spec *PodContainers) []Change {
	return eachImage(spec, func(image string) Result { return Result{Image: image} })
}

// eachImage calls decide for every container image of spec.
func eachImage(spec *PodContainers, decide func(image string) Result) []Change {
	changes := make([]Change, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	for _, field := range ContainerFields {
		for i, c := range spec.List(field) {
			changes = append(changes, Change{Field: field, Index: i, Container: c.Name, Old: c.Image, Result: decide(c.Image)})
		}
	}
	return changes
}
