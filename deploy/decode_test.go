package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
)

// TestRenderedDecodesStrictly decodes every document of the rendered files,
// and of the files in $PULLTHROUGH_RENDERED_DIR (hack/lint-chart.sh renders
// every chart variant there), rejecting unknown and duplicate fields: a
// misspelt field in a template fails here instead of being dropped by the
// API server. Custom resources of cert-manager and the Prometheus Operator,
// whose types this module does not have, need only a kind.
func TestRenderedDecodesStrictly(t *testing.T) {
	t.Parallel()
	files := renderedFiles(t)
	strict := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		serializerjson.SerializerOptions{Yaml: true, Strict: true})
	customGroups := []string{"cert-manager.io", "monitoring.coreos.com"}
	for _, file := range files {
		docs, err := documents(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs {
			_, gvk, err := strict.Decode(doc, nil, nil)
			if runtime.IsNotRegisteredError(err) && gvk != nil && slices.Contains(customGroups, gvk.Group) && gvk.Kind != "" {
				continue
			}
			if err != nil {
				t.Errorf("%s: document %d: %v", file, i, err)
			}
		}
	}
}

// committedFiles are the manifests rendered with the chart's defaults.
var committedFiles = []string{manifestsFile, migratorFile, nodeconfigFile, policyFile}

// renderedFiles returns the committed manifests and the files in
// $PULLTHROUGH_RENDERED_DIR, where hack/lint-chart.sh renders every chart
// variant.
func renderedFiles(t *testing.T) []string {
	t.Helper()
	files := slices.Clone(committedFiles)
	if dir := os.Getenv("PULLTHROUGH_RENDERED_DIR"); dir != "" {
		more, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil || len(more) == 0 {
			t.Fatalf("PULLTHROUGH_RENDERED_DIR=%s: no *.yaml (%v)", dir, err)
		}
		files = append(files, more...)
	}
	return files
}
