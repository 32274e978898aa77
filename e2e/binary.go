package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// BuildBinary builds cmd/pullthrough from the tree into t's temporary
// directory, for the tests that run it as users do: a process with flags.
func BuildBinary(t testing.TB) string {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "pullthrough")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pullthrough")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// FreePort is cluster.FreePort for a test: a free loopback port for a
// process it starts.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := cluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
