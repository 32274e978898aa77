package policy

import (
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
)

// TestScopedRefused: a config with a scoped mirror is refused, naming the
// mirror, rather than compiled into policies that would route every
// namespace alike (the Go engine routes it per namespace).
func TestScopedRefused(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("../examples/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "mirrors[1] (source docker.io, target proxy.example.internal/team-a)") || !strings.Contains(err.Error(), inexpressible) {
		t.Fatalf("Generate = %v, want mirrors[1] refused as %s", err, inexpressible)
	}
}
