package rewrite

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfig feeds operator input to the config loader: strict decoding,
// defaulting and validation must answer with a config or an error, never a
// panic, and a config they accept must build a Rewriter and stay valid when
// defaulted again (a reload defaults what it loads once more).
func FuzzConfig(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte(bareHostConfig))
	for _, glob := range []string{"../examples/*.yaml", "../*/testdata/config.yaml"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if cfg != nil {
				t.Fatalf("Parse returned a config with the error %v", err)
			}
			return
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("Parse accepted a config that New refuses: %v\n%s", err, data)
		}
		cfg.Default()
		if err := cfg.Validate(); err != nil {
			t.Fatalf("defaulting an accepted config again made it invalid: %v\n%s", err, data)
		}
	})
}
