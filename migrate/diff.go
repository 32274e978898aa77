package migrate

import (
	"encoding/json"
	"fmt"

	udiff "github.com/aymanbagabas/go-udiff"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// diff renders the planned patch of it as a unified diff of u's YAML, before
// and after. The patch is applied locally with the JSON patch library the
// API server uses, so the diff shows what the server will do, and a patch
// that would not apply is caught before it is sent.
//
// go-udiff is the unified-diff port of the Go team's own diff (x/tools,
// used by gopls and gofmt -d): maintained, with no dependencies, where
// pmezard/go-difflib is no longer maintained.
func diff(it *item, u *unstructured.Unstructured) (string, error) {
	shown := u.DeepCopy()
	unstructured.RemoveNestedField(shown.Object, "metadata", "managedFields")
	before, err := json.Marshal(shown.Object)
	if err != nil {
		return "", fmt.Errorf("diff: encode object: %w", err)
	}
	ops, err := json.Marshal(it.ops)
	if err != nil {
		return "", fmt.Errorf("diff: encode patch: %w", err)
	}
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		return "", fmt.Errorf("diff: decode patch: %w", err)
	}
	after, err := patch.Apply(before)
	if err != nil {
		return "", fmt.Errorf("diff: the patch does not apply: %w", err)
	}
	a, err := yaml.JSONToYAML(before)
	if err != nil {
		return "", fmt.Errorf("diff: %w", err)
	}
	b, err := yaml.JSONToYAML(after)
	if err != nil {
		return "", fmt.Errorf("diff: %w", err)
	}
	name := it.row.Resource + "/" + objectName(&it.row)
	return udiff.Unified("a/"+name, "b/"+name, string(a), string(b)), nil
}
