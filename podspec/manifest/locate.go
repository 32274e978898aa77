package manifest

import (
	"cmp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pullthrough/pullthrough/podspec"
)

// located is an Image and the scalar node that holds it.
type located struct {
	Image
	node *yaml.Node
	// merged is the alias of the YAML merge key (<<: *name) through which
	// the image was found, or "": a value shared with every user of the
	// anchor, which spliceFor refuses to edit.
	merged string
}

// findImages lists the image scalars of one document: an object of a kind
// that has a pod spec, or a List (kind List or *List) of such objects.
func findImages(doc *yaml.Node, docIndex int) []located {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return objectImages(root, docIndex)
}

func objectImages(obj *yaml.Node, docIndex int) []located {
	kind := scalar(lookup(obj, "kind"))
	if items := lookup(obj, "items"); items != nil && items.Kind == yaml.SequenceNode && isList(kind) {
		var out []located
		for _, item := range items.Content {
			out = append(out, objectImages(item, docIndex)...)
		}
		return out
	}
	path, ok := podspec.PathOf(kind)
	if !ok {
		return nil
	}
	spec, specMerged := lookupPath(obj, path)
	if spec == nil {
		return nil
	}
	object := kind + "/" + scalar(lookup(lookup(obj, "metadata"), "name"))
	var out []located
	for i := range podspec.Locations {
		loc := &podspec.Locations[i]
		list, listMerged := lookupVia(spec, loc.Field)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for index, entry := range list.Content {
			img, imgMerged := lookupPath(entry, loc.ImagePath)
			value := img
			if img != nil && img.Kind == yaml.AliasNode {
				value = img.Alias // decided on what it stands for; spliceFor refuses to edit it
			}
			line := entry.Line
			switch {
			case value == nil && imageWithoutReference(entry, loc.ImagePath):
				// image: {}: an image volume with no reference, reported
				// as the walk of a pod spec reports it, never edited.
				value = &yaml.Node{Kind: yaml.ScalarNode}
			case value == nil || value.Kind != yaml.ScalarNode:
				continue
			default:
				line = img.Line
			}
			out = append(out, located{node: img, merged: cmp.Or(specMerged, listMerged, imgMerged), Image: Image{
				Document: docIndex, Object: object, Line: line,
				Change: podspec.Change{Location: loc, Index: index, Name: scalar(lookup(entry, "name")), Old: value.Value},
			}})
		}
	}
	return out
}

// imageWithoutReference reports whether entry holds the object its image
// is in (an image volume's image) but not the image itself.
func imageWithoutReference(entry *yaml.Node, path []string) bool {
	if len(path) < 2 {
		return false
	}
	holder, _ := lookupPath(entry, path[:len(path)-1])
	return holder != nil && holder.Kind == yaml.MappingNode
}

// lookupPath follows keys from m (an image volume's image is two levels
// down), returning the value and the first merge alias on the way.
func lookupPath(m *yaml.Node, keys []string) (value *yaml.Node, via string) {
	value = m
	for _, key := range keys {
		var v string
		if value, v = lookupVia(value, key); value == nil {
			return nil, ""
		}
		via = cmp.Or(via, v)
	}
	return value, via
}

// isList reports whether kind is a list kind: v1 List, or a typed list such
// as DeploymentList that kubectl get -o yaml prints.
func isList(kind string) bool {
	return kind == "List" || (strings.HasSuffix(kind, "List") && kind != "List")
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	n, _ := lookupVia(m, key)
	return n
}

// lookupVia returns the value of key in a mapping node, or nil, following
// YAML merge keys as a YAML loader does: a key written in the mapping wins,
// then the merged mappings in order. via names the alias of the merge key
// the value came through ("*name"), or is "" when the value is written in
// this mapping or an inline merged one, and so appears nowhere else.
func lookupVia(m *yaml.Node, key string) (value *yaml.Node, via string) {
	return lookupSeen(m, key, nil)
}

// lookupSeen is lookupVia that follows each mapping's merges once: an anchor
// can be merged into itself (&a {<<: *a}), and the input is not trusted.
// seen is made on the first merge followed, as most mappings have none.
func lookupSeen(m *yaml.Node, key string, seen map[*yaml.Node]bool) (value *yaml.Node, via string) {
	if m == nil || m.Kind != yaml.MappingNode || seen[m] {
		return nil, ""
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch {
		case k.Value == key && k.Tag != mergeTag:
			return m.Content[i+1], ""
		case k.Tag == mergeTag:
			merges = append(merges, m.Content[i+1])
		}
	}
	if len(merges) == 0 {
		return nil, ""
	}
	if seen == nil {
		seen = map[*yaml.Node]bool{}
	}
	seen[m] = true
	for _, merge := range merges {
		sources := []*yaml.Node{merge}
		if merge.Kind == yaml.SequenceNode {
			sources = merge.Content
		}
		for _, src := range sources {
			target, alias := src, ""
			if src.Kind == yaml.AliasNode {
				target, alias = src.Alias, "*"+src.Value
			}
			if n, inner := lookupSeen(target, key, seen); n != nil {
				return n, cmp.Or(alias, inner)
			}
		}
	}
	return nil, ""
}

// mergeTag is the tag the YAML parser gives a merge key (<<).
const mergeTag = "!!merge"

// scalar returns a scalar node's value, or "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
