package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Image is the decision for one image found in a manifest.
type Image struct {
	// Document is the 1-based index of the document in the stream.
	Document int
	// Object is "Kind/name" of the object holding the image.
	Object string
	// Line is the 1-based line of the image in the input.
	Line int
	// Change is where the image is in the object's pod spec and the decision
	// for it.
	podspec.Change
}

// edit replaces len(old) bytes at offset with new.
type edit struct {
	offset int
	old    string
	new    string
}

// Rewrite returns in with every image of the known kinds routed through r,
// and the decision for each image found.
func Rewrite(in []byte, r *rewrite.Rewriter) ([]byte, []Image, error) {
	docs, err := documents(in)
	if err != nil {
		return nil, nil, err
	}
	var edits []edit
	var images []Image
	for i, d := range docs {
		lines := bytes.Count(in[:d.base], []byte("\n"))
		for _, img := range findImages(d.node, i+1) {
			img.Line += lines
			img.Result = r.Rewrite(img.Old)
			images = append(images, img.Image)
			if img.Outcome != rewrite.OutcomeRewritten {
				continue
			}
			e, err := spliceFor(in, d, img)
			if err != nil {
				return nil, nil, err
			}
			edits = append(edits, e)
		}
	}
	return apply(in, edits), images, nil
}

// document is one parsed document and where its bytes start in the stream.
type document struct {
	node *yaml.Node
	// base is the byte offset from which the node's lines count: 0 in a
	// YAML stream, the value's start in a JSON stream.
	base int
}

// documents parses a YAML stream, or a stream of JSON values.
func documents(in []byte) ([]document, error) {
	if trimmed := bytes.TrimLeft(in, " \t\r\n"); len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return jsonDocuments(in)
	}
	var docs []document
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		docs = append(docs, document{node: &n})
	}
}

// spliceFor builds the edit that replaces img's scalar in its own style.
func spliceFor(in []byte, d document, img located) (edit, error) {
	switch {
	case img.merged != "":
		return edit{}, fmt.Errorf("document %d, line %d: image of %s comes through the YAML merge key <<: %s, shared with every user of that anchor; write the image out in place so it can be rewritten", img.Document, img.Line, img.Describe(), img.merged)
	case img.node.Kind == yaml.AliasNode:
		return edit{}, fmt.Errorf("document %d, line %d: image is the YAML alias *%s; write the image out so it can be rewritten in place", img.Document, img.Line, img.node.Value)
	case img.node.Anchor != "":
		return edit{}, fmt.Errorf("document %d, line %d: image %q carries the YAML anchor &%s; write the image out so it can be rewritten in place", img.Document, img.Line, img.Old, img.node.Anchor)
	}
	off, err := offsetOf(in, d.base, img.node.Line, img.node.Column)
	if err != nil {
		return edit{}, err
	}
	var old, repl string
	switch img.node.Style {
	case 0:
		old, repl = img.Old, img.Result.Image
	case yaml.DoubleQuotedStyle:
		old, repl = `"`+img.Old+`"`, `"`+img.Result.Image+`"`
	case yaml.SingleQuotedStyle:
		old, repl = `'`+img.Old+`'`, `'`+img.Result.Image+`'`
	default:
		return edit{}, fmt.Errorf("document %d, line %d: image %q is written in a style that cannot be edited in place (use a plain or quoted scalar)", img.Document, img.Line, img.Old)
	}
	if !bytes.HasPrefix(in[off:], []byte(old)) {
		return edit{}, fmt.Errorf("document %d, line %d: image %q is not written as %s at its position (escaped characters?)", img.Document, img.Line, img.Old, old)
	}
	return edit{offset: off, old: old, new: repl}, nil
}

// offsetOf turns a 1-based line and column (counted in characters, as the
// YAML parser does) into a byte offset, lines counting from base.
func offsetOf(in []byte, base, line, column int) (int, error) {
	off := base
	for l := 1; l < line; l++ {
		nl := bytes.IndexByte(in[off:], '\n')
		if nl < 0 {
			return 0, fmt.Errorf("line %d is past the end of the input", line)
		}
		off += nl + 1
	}
	for c := 1; c < column; c++ {
		_, size := utf8.DecodeRune(in[off:])
		if size == 0 {
			return 0, fmt.Errorf("line %d, column %d is past the end of the input", line, column)
		}
		off += size
	}
	return off, nil
}

// apply performs non-overlapping edits on in.
func apply(in []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return a.offset - b.offset })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.Write(in[last:e.offset])
		b.WriteString(e.new)
		last = e.offset + len(e.old)
	}
	b.Write(in[last:])
	return []byte(b.String())
}
