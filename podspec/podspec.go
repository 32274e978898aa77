package podspec

import (
	"strconv"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Change is the decision for one image of a pod spec.
type Change struct {
	// Location is the list the image is in.
	*Location
	// Index is the entry's position in that list.
	Index int
	// Name is the container's or the volume's name.
	Name string
	// Old is the image as written.
	Old string
	rewrite.Result
}

// Key names the entry where the entries of every location share one map:
// the annotations that record originals and proposals, warnings, denials.
func (c Change) Key() string { return c.KeyPrefix + c.Name }

// Label names the entry as a person finds it in a table: its name,
// prefixed for every list but containers.
func (c Change) Label() string { return c.LabelPrefix + c.Name }

// registryOther is the registry label of an image that neither a mirror nor
// the public-registry list names: the label never carries a raw,
// user-supplied host, so it stays bounded.
const registryOther = "other"

// RegistryLabel is the bounded "registry" label of the decision, for every
// series that carries one (the webhook's images, the pod-images gauge): the
// mirror source, the public-registry entry, or "other".
func (c Change) RegistryLabel() string {
	if registry := c.Registry(); registry != "" {
		return registry
	}
	return registryOther
}

// Describe names the entry in a sentence: `container "app"`, `volume "models"`.
func (c Change) Describe() string { return c.Noun + " " + strconv.Quote(c.Name) }

// Spec is what routing reads of a pod spec: the name and image of every
// entry that names one. It decodes from a PodSpec's JSON (or a pod
// template's spec) and skips everything else, so a caller on the admission
// path reads a few hundred bytes of a pod rather than the whole of it.
type Spec struct {
	InitContainers      []Container `json:"initContainers"`
	Containers          []Container `json:"containers"`
	EphemeralContainers []Container `json:"ephemeralContainers"`
	Volumes             []Volume    `json:"volumes"`
}

// Container is one container's name and image.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// Volume is one volume's name and, for an image volume, its image.
type Volume struct {
	Name  string       `json:"name"`
	Image *VolumeImage `json:"image"`
}

// VolumeImage is the image an image volume mounts.
type VolumeImage struct {
	Reference string `json:"reference"`
}

// Decide decides every image of spec with rw, in Locations order, without
// changing spec.
func Decide(rw *rewrite.Rewriter, spec *Spec) []Change {
	return eachImage(spec, rw.Rewrite)
}

// Skipped gives every image of spec the same outcome and changes nothing,
// for decisions made about the whole pod (opted out, excluded namespace)
// that must still be counted per image; an empty outcome lists the images
// with no decision made.
func Skipped(spec *Spec, why rewrite.Outcome) []Change {
	return eachImage(spec, func(image string) rewrite.Result { return rewrite.Result{Image: image, Outcome: why} })
}

// eachImage calls decide for every image of spec.
func eachImage(spec *Spec, decide func(image string) rewrite.Result) []Change {
	changes := make([]Change, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers)+len(spec.Volumes))
	for i := range Locations {
		loc := &Locations[i]
		list := loc.list(spec)
		for index := range list.Len() {
			if name, image, ok := list.At(index); ok {
				changes = append(changes, Change{Location: loc, Index: index, Name: name, Old: image, Result: decide(image)})
			}
		}
	}
	return changes
}

// Holds reports whether spec's entry at c's location and index is still the
// one c was decided on: same name, same image. A patch built from c must
// never write another entry.
func (s *Spec) Holds(c Change) bool {
	list := c.list(s)
	if c.Index < 0 || c.Index >= list.Len() {
		return false
	}
	name, image, ok := list.At(c.Index)
	return ok && name == c.Name && image == c.Old
}

// Images is how many images s names, counted without deciding any: what a
// caller bounds before it spends a decision on each.
func (s *Spec) Images() int {
	n := 0
	for i := range Locations {
		list := Locations[i].list(s)
		for index := range list.Len() {
			if _, _, ok := list.At(index); ok {
				n++
			}
		}
	}
	return n
}
