package patch

import (
	"strings"

	"github.com/go-openapi/jsonpointer"
	"gomodules.xyz/jsonpatch/v2"
)

// Replace appends to ops the replacement of the string at path: a test that
// it still holds from, then the replace with to. A concurrent edit, or an
// index that no longer holds what was decided, fails the test and with it
// the whole patch, rather than being overwritten.
func Replace(ops []jsonpatch.Operation, path, from, to string) []jsonpatch.Operation {
	return append(ops,
		jsonpatch.Operation{Operation: "test", Path: path, Value: from},
		jsonpatch.Operation{Operation: "replace", Path: path, Value: to})
}

// Pointer joins segments into a JSON pointer, escaping each: annotation keys
// and ConfigMap keys hold '/' and may hold '~'.
func Pointer(segments ...string) string {
	var b strings.Builder
	n := 0
	for _, s := range segments {
		n += 1 + len(s) // escaping lengthens only keys with '/' or '~'
	}
	b.Grow(n)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(jsonpointer.Escape(s))
	}
	return b.String()
}
