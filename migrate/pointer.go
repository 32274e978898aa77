package migrate

import (
	"fmt"
	"strconv"
	"strings"
)

// A JSON pointer (RFC 6901) names every value the migrator changes: it is
// the path of the JSON patch operations and the key of the record in
// AnnotationMigratedImages, so the patch and its undo agree by construction.

var (
	escaper   = strings.NewReplacer("~", "~0", "/", "~1")
	unescaper = strings.NewReplacer("~1", "/", "~0", "~")
)

// pointer joins path segments into a JSON pointer, escaping each.
func pointer(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(escaper.Replace(s))
	}
	return b.String()
}

// splitPointer is the inverse of pointer.
func splitPointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("JSON pointer %q does not start with '/'", p)
	}
	segments := strings.Split(p[1:], "/")
	for i, s := range segments {
		segments[i] = unescaper.Replace(s)
	}
	return segments, nil
}

// lookupString returns the string at pointer p inside a decoded JSON object;
// ok is false when the path does not exist or does not hold a string.
func lookupString(obj map[string]any, p string) (value string, ok bool) {
	segments, err := splitPointer(p)
	if err != nil {
		return "", false
	}
	var node any = obj
	for _, s := range segments {
		if node, ok = child(node, s); !ok {
			return "", false
		}
	}
	value, ok = node.(string)
	return value, ok
}

// setString replaces the string at pointer p; the path must exist.
func setString(obj map[string]any, p, value string) error {
	segments, err := splitPointer(p)
	if err != nil {
		return err
	}
	var node any = obj
	for _, s := range segments[:len(segments)-1] {
		var ok bool
		if node, ok = child(node, s); !ok {
			return fmt.Errorf("%s: no such path", p)
		}
	}
	last := segments[len(segments)-1]
	switch n := node.(type) {
	case map[string]any:
		if _, ok := n[last]; !ok {
			return fmt.Errorf("%s: no such path", p)
		}
		n[last] = value
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(n) {
			return fmt.Errorf("%s: no such path", p)
		}
		n[i] = value
	default:
		return fmt.Errorf("%s: no such path", p)
	}
	return nil
}

// child steps into a map member or a list element.
func child(node any, segment string) (any, bool) {
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[segment]
		return v, ok
	case []any:
		i, err := strconv.Atoi(segment)
		if err != nil || i < 0 || i >= len(n) {
			return nil, false
		}
		return n[i], true
	}
	return nil, false
}
