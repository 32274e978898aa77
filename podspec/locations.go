package podspec

import (
	"iter"
	"strconv"
	"strings"
)

// Location is one list of a PodSpec whose entries name an image the kubelet
// pulls. The table of them (Locations) is the one place that knows where
// images live: the webhook's patch paths, the migrator's JSON pointers, the
// manifest editor's lookups and every label a person reads come from it.
type Location struct {
	// Field is the list's JSON name in a PodSpec.
	Field string
	// ImagePath is the JSON field names from an entry to its image reference.
	ImagePath []string
	// KeyPrefix goes before an entry's name where the entries of every
	// location share one namespace: the keys of the pullthrough.dev/*-images
	// annotations and the names in warnings. Container names are unique
	// across the container lists, but a volume may share a container's name;
	// the prefix holds a colon, which a name (a DNS label) never does.
	KeyPrefix string
	// Noun is what an entry is called in a sentence: "container %q".
	Noun string
	// LabelPrefix goes before an entry's name in tables (the migrator's
	// plan, `verify`): it says which list a person finds the entry in.
	LabelPrefix string
	// slots yields the entries of spec that name an image.
	slots func(spec *Spec) iter.Seq[slot]
}

// Location fields, by their JSON names.
const (
	FieldInitContainers      = "initContainers"
	FieldContainers          = "containers"
	FieldEphemeralContainers = "ephemeralContainers"
	FieldVolumes             = "volumes"
)

// Locations lists where a PodSpec names images, in the order a pod starts
// them (volumes are mounted before any container starts, but listed last
// so that container rows keep their place in tables).
var Locations = []Location{
	{Field: FieldInitContainers, ImagePath: imageField, Noun: "container", LabelPrefix: "init:",
		slots: func(s *Spec) iter.Seq[slot] { return containerSlots(s.InitContainers) }},
	{Field: FieldContainers, ImagePath: imageField, Noun: "container",
		slots: func(s *Spec) iter.Seq[slot] { return containerSlots(s.Containers) }},
	{Field: FieldEphemeralContainers, ImagePath: imageField, Noun: "container", LabelPrefix: "ephemeral:",
		slots: func(s *Spec) iter.Seq[slot] { return containerSlots(s.EphemeralContainers) }},
	{Field: FieldVolumes, ImagePath: []string{"image", "reference"}, Noun: "volume", KeyPrefix: "volume:", LabelPrefix: "volume:",
		slots: func(s *Spec) iter.Seq[slot] { return volumeSlots(s.Volumes) }},
}

// imageField is a container's image.
var imageField = []string{"image"}

// slot is one entry that names an image: its index in its list.
type slot struct {
	index       int
	name, image string
}

func containerSlots(list []Container) iter.Seq[slot] {
	return func(yield func(slot) bool) {
		for i, c := range list {
			if !yield(slot{i, c.Name, c.Image}) {
				return
			}
		}
	}
}

// volumeSlots yields the image volumes; other volumes name no image.
func volumeSlots(list []Volume) iter.Seq[slot] {
	return func(yield func(slot) bool) {
		for i, v := range list {
			if v.Image != nil && !yield(slot{i, v.Name, v.Image.Reference}) {
				return
			}
		}
	}
}

// Pointer is the JSON pointer (RFC 6901) of the image of the entry at index
// of l, relative to the pod spec. Field names hold neither '~' nor '/', so
// no segment needs escaping.
func (l *Location) Pointer(index int) string {
	return "/" + l.Field + "/" + strconv.Itoa(index) + "/" + strings.Join(l.ImagePath, "/")
}
