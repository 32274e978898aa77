package migrate

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/config"
)

// update rewrites the golden files under testdata/ instead of comparing.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testConfigPath is the config every test routes with.
const testConfigPath = "testdata/config.yaml"

// loadTestConfig loads testdata/config.yaml or fails the test.
func loadTestConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(testConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newOfflineMigrator is a Migrator without a client, for the pure parts:
// deciding objects, building patches, rendering.
func newOfflineMigrator(t testing.TB, opts Options) *Migrator {
	t.Helper()
	m, err := New(nil, loadTestConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// object decodes a YAML manifest into an unstructured object.
func object(t testing.TB, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return u
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
