package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKeptSections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file, want string
	}{
		// make bench's own sections are written anew; others survive.
		{"fleet section kept", "# Benchmarks\n\nintro\n\n## In process\n\nold\n\n## Migrator at fleet scale\n\n| a |\n\n## Under load\n\nold\n",
			"## Migrator at fleet scale\n\n| a |\n\n"},
		{"only own sections", "# Benchmarks\n\n## In process\n\nx\n## Under load\n\ny\n", ""},
		{"no file", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, tc.name+".md")
			if tc.file != "" {
				if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := keptSections(path)
			if err != nil || got != tc.want {
				t.Errorf("keptSections = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
