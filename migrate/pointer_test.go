package migrate

import (
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
			got := pointer(tt.segments...)
			if got != tt.want {
				t.Fatalf("pointer = %q, want %q", got, tt.want)
			}
			parsed, err := jsonpointer.New(got)
			if back := parsed.DecodedTokens(); err != nil || !slices.Equal(back, tt.segments) {
				t.Fatalf("jsonpointer.New(%q) = %q, %v; want %q", got, back, err, tt.segments)
			}
		})
	}
}

func TestLookupAndSetString(t *testing.T) {
	t.Parallel()
	doc := func() map[string]any {
		return map[string]any{
			"spec": map[string]any{
				"containers": []any{map[string]any{"image": "nginx"}},
				"replicas":   int64(2),
			},
			"data": map[string]any{"a/b": "text"},
		}
	}
	tests := []struct {
		name    string
		path    string
		want    string
		found   bool
		setFail bool
	}{
		{"list element", "/spec/containers/0/image", "nginx", true, false},
		{"escaped key", "/data/a~1b", "text", true, false},
		{"index out of range", "/spec/containers/1/image", "", false, true},
		{"not a string", "/spec/replicas", "", false, false},
		{"missing member", "/spec/missing", "", false, true},
		{"not a pointer", "spec", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := doc()
			got, found := lookupString(d, tt.path)
			if got != tt.want || found != tt.found {
				t.Fatalf("lookupString = %q, %v; want %q, %v", got, found, tt.want, tt.found)
			}
			err := setString(d, tt.path, "new")
			if (err != nil) != tt.setFail {
				t.Fatalf("setString error = %v, want failure %v", err, tt.setFail)
			}
			if err == nil {
				if got, _ := lookupString(d, tt.path); got != "new" {
					t.Fatalf("after setString, value = %q", got)
				}
			}
		})
	}
}
