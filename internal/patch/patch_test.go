package patch

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/go-openapi/jsonpointer"
	"gomodules.xyz/jsonpatch/v2"
)

func TestPointerRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		segments []string
		want     string
	}{
		{"container image", []string{"spec", "template", "spec", "containers", "0", "image"}, "/spec/template/spec/containers/0/image"},
		// Annotation keys hold '/', which RFC 6901 escapes as ~1.
		{"annotation key", []string{"metadata", "annotations", "pullthrough.dev/migrated-images"}, "/metadata/annotations/pullthrough.dev~1migrated-images"},
		// '~' must be escaped before '/', or "~1" in a key would come back as '/'.
		{"tilde then slash", []string{"data", "a~1b/c"}, "/data/a~01b~1c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Pointer(tt.segments...)
			if got != tt.want {
				t.Fatalf("Pointer = %q, want %q", got, tt.want)
			}
			parsed, err := jsonpointer.New(got)
			if back := parsed.DecodedTokens(); err != nil || !slices.Equal(back, tt.segments) {
				t.Fatalf("jsonpointer.New(%q) = %q, %v; want %q", got, back, err, tt.segments)
			}
		})
	}
}

// TestReplace pins the pair's wire form: the test first, on the same path.
func TestReplace(t *testing.T) {
	t.Parallel()
	ops := Replace(nil, "/spec/containers/0/image", "nginx", "proxy/library/nginx")
	b, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"op":"test","path":"/spec/containers/0/image","value":"nginx"},` +
		`{"op":"replace","path":"/spec/containers/0/image","value":"proxy/library/nginx"}]`
	if string(b) != want {
		t.Errorf("Replace = %s, want %s", b, want)
	}
}

// TestEncodeAsMarshal: Encode writes what json.Marshal writes through
// jsonpatch.Operation's MarshalJSON, for every kind of value a patch of
// ours carries, and for the nil values that MarshalJSON treats apart.
func TestEncodeAsMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ops  []jsonpatch.Operation
	}{
		{"none", []jsonpatch.Operation{}},
		{"nil slice", nil},
		{"replace pair", Replace(nil, "/spec/containers/0/image", "nginx", "proxy/library/nginx")},
		// encoding/json escapes <, > and & in strings, in both ways.
		{"HTML and unicode in a value", Replace(nil, "/spec/containers/1/image", "a<b>&c", "é\u2028\x01")},
		{"annotation map", []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: map[string]string{"b": "2", "a": `{"x":"<y>"}`}}}},
		{"metadata with annotations", []jsonpatch.Operation{{Operation: "add", Path: "/metadata", Value: map[string]any{"annotations": map[string]string{"k": "v"}}}}},
		{"pull secrets", []jsonpatch.Operation{
			{Operation: "add", Path: "/spec/imagePullSecrets", Value: []map[string]string{{"name": "a"}, {"name": "b"}}},
			{Operation: "add", Path: "/spec/imagePullSecrets/-", Value: map[string]string{"name": "c"}},
		}},
		{"escaped pointer", []jsonpatch.Operation{{Operation: "add", Path: Pointer("metadata", "annotations", "pullthrough.dev/original-images"), Value: ""}}},
		// MarshalJSON writes "value":null for an add or a replace of nil,
		// and leaves the value out of any other operation.
		{"nil values", []jsonpatch.Operation{
			{Operation: "add", Path: "/a"}, {Operation: "replace", Path: "/b"},
			{Operation: "remove", Path: "/c"}, {Operation: "test", Path: "/d"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Encode(tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("Encode = %s\njson.Marshal = %s", got, want)
			}
		})
	}
}
