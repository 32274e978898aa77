package patch

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/go-openapi/jsonpointer"
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
