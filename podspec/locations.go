package podspec

import (
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
	// list is the location's list in spec.
	list func(spec *Spec) entries
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
		list: func(s *Spec) entries { return containers(s.InitContainers) }},
	{Field: FieldContainers, ImagePath: imageField, Noun: "container",
		list: func(s *Spec) entries { return containers(s.Containers) }},
	{Field: FieldEphemeralContainers, ImagePath: imageField, Noun: "container", LabelPrefix: "ephemeral:",
		list: func(s *Spec) entries { return containers(s.EphemeralContainers) }},
	{Field: FieldVolumes, ImagePath: []string{"image", "reference"}, Noun: "volume", KeyPrefix: "volume:", LabelPrefix: "volume:",
		list: func(s *Spec) entries { return volumes(s.Volumes) }},
}

// imageField is a container's image.
var imageField = []string{"image"}

// entries is one list of a Spec, read by index.
type entries interface {
	Len() int
	// At returns entry i's name and image; isImage is false for an entry
	// that names none (a volume that is not an image volume).
	At(i int) (name, image string, isImage bool)
}

type containers []Container

func (l containers) Len() int { return len(l) }

func (l containers) At(i int) (string, string, bool) { return l[i].Name, l[i].Image, true }

type volumes []Volume

func (l volumes) Len() int { return len(l) }

func (l volumes) At(i int) (string, string, bool) {
	if l[i].Image == nil {
		return l[i].Name, "", false
	}
	return l[i].Name, l[i].Image.Reference, true
}

// Pointer is the JSON pointer (RFC 6901) of the image of the entry at index
// of l, relative to the pod spec. Field names hold neither '~' nor '/', so
// no segment needs escaping.
func (l *Location) Pointer(index int) string {
	return "/" + l.Field + "/" + strconv.Itoa(index) + "/" + strings.Join(l.ImagePath, "/")
}
