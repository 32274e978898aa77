package patch

import (
	"encoding/json"
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

// wireOp is a jsonpatch.Operation without its MarshalJSON, which marshals
// each operation on its own and has encoding/json scan the bytes again.
type wireOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// null is the value jsonpatch.Operation writes for an add or replace of nil.
var null = json.RawMessage("null")

// Encode writes ops as the JSON json.Marshal(ops) writes, in one pass: on
// the webhook's path every answer with a patch is encoded, and the
// per-operation MarshalJSON cost a tenth of a request (docs/performance.md).
func Encode(ops []jsonpatch.Operation) ([]byte, error) {
	var wire []wireOp // nil stays nil: null
	if ops != nil {
		wire = make([]wireOp, len(ops))
	}
	for i, o := range ops {
		wire[i] = wireOp{Op: o.Operation, Path: o.Path, Value: o.Value}
		if o.Value == nil && (o.Operation == "add" || o.Operation == "replace") {
			wire[i].Value = null
		}
	}
	return json.Marshal(wire)
}
