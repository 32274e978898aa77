package migrate

import (
	"fmt"

	"github.com/go-openapi/jsonpointer"
)

// A JSON pointer (RFC 6901) names every value the migrator changes: it is
// the path of the JSON patch operations and the key of the record in
// wellknown.AnnotationMigratedImages, so the patch and its undo agree by
// construction. patch.Pointer writes them; github.com/go-openapi/jsonpointer,
// which escapes them there, parses and walks them here.

// lookupString returns the string at pointer p inside a decoded JSON object;
// ok is false when the path does not exist or does not hold a string.
func lookupString(obj map[string]any, p string) (value string, ok bool) {
	ptr, err := jsonpointer.New(p)
	if err != nil {
		return "", false
	}
	v, _, err := ptr.Get(obj)
	if err != nil {
		return "", false
	}
	value, ok = v.(string)
	return value, ok
}

// setString replaces the value at pointer p with a string; the path must
// exist (jsonpointer's Set would add a missing member).
func setString(obj map[string]any, p, value string) error {
	ptr, err := jsonpointer.New(p)
	if err != nil {
		return fmt.Errorf("JSON pointer %q: %w", p, err)
	}
	if _, _, err := ptr.Get(obj); err != nil {
		return fmt.Errorf("%s: no such path: %w", p, err)
	}
	if _, err := ptr.Set(obj, value); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}
