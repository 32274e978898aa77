package manifest

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pullthrough/pullthrough/podspec"
)

// located is an Image and the scalar node that holds it.
type located struct {
	Image
	node *yaml.Node
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
	spec := obj
	for _, key := range path {
		if spec = lookup(spec, key); spec == nil {
			return nil
		}
	}
	object := kind + "/" + scalar(lookup(lookup(obj, "metadata"), "name"))
	var out []located
	for _, field := range podspec.ContainerFields {
		list := lookup(spec, field)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range list.Content {
			img := lookup(c, "image")
			value := img
			if img != nil && img.Kind == yaml.AliasNode {
				value = img.Alias // decided on what it stands for; spliceFor refuses to edit it
			}
			if value == nil || value.Kind != yaml.ScalarNode {
				continue
			}
			out = append(out, located{node: img, Image: Image{
				Document: docIndex, Object: object, Field: field,
				Container: scalar(lookup(c, "name")), Line: img.Line, Old: value.Value,
			}})
		}
	}
	return out
}

// isList reports whether kind is a list kind: v1 List, or a typed list such
// as DeploymentList that kubectl get -o yaml prints.
func isList(kind string) bool {
	return kind == "List" || (strings.HasSuffix(kind, "List") && kind != "List")
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalar returns a scalar node's value, or "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
