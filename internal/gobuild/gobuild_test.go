package gobuild

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestEnvPinsGOFLAGS: the go command builds every artifact with
// -mod=readonly whatever the caller's GOFLAGS say.
func TestEnvPinsGOFLAGS(t *testing.T) {
	tests := []struct{ name, callers string }{
		{"unset", ""},
		{"mod=mod", "-mod=mod"},
		{"tags and vendor", "-tags=netgo -mod=vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOFLAGS", tt.callers)
			var got []string
			for _, kv := range Env(v1.Platform{OS: "linux", Architecture: "amd64"}) {
				if strings.HasPrefix(kv, "GOFLAGS=") {
					got = append(got, kv)
				}
			}
			if len(got) != 1 || got[0] != "GOFLAGS=-mod=readonly" {
				t.Errorf("GOFLAGS in the go command's environment: %q, want only GOFLAGS=-mod=readonly", got)
			}
		})
	}
}
