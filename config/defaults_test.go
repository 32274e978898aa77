package config

import (
	"reflect"
	"slices"
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
)

// TestUnsetReadsAsDefault: what reads an optional field answers alike for a
// loaded (defaulted) config and for one built in code with the field unset,
// because both take the value from defaults.go.
func TestUnsetReadsAsDefault(t *testing.T) {
	t.Parallel()
	built := Config{ProxyHealth: &ProxyHealth{}}
	defaulted := Config{ProxyHealth: &ProxyHealth{}}
	defaulted.Default()
	if got, want := built.FailOpen(), defaulted.FailOpen(); got != want || !got {
		t.Errorf("FailOpen() = %v unset, %v defaulted; want both true", got, want)
	}
	if got, want := built.Node.FallsBack(), defaulted.Node.FallsBack(); got != want || !got {
		t.Errorf("Node.FallsBack() = %v unset, %v defaulted; want both true", got, want)
	}
	if got, want := built.Served(), defaulted.ServedCheck; !reflect.DeepEqual(got, want) || !*built.Served().Enabled {
		t.Errorf("Served() = %+v unset, %+v defaulted; want both the defaults, enabled", got, want)
	}
	if got, want := built.PublicRegistries.List(), defaulted.PublicRegistries.List(); !slices.Equal(got, want) || !slices.Equal(got, rewrite.DefaultPublicRegistries) {
		t.Errorf("PublicRegistries.List() = %q unset, %q defaulted; want the built-in list", got, want)
	}
}
