package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts.toml")
	for _, tc := range []struct {
		name string
		data string
		perm os.FileMode
	}{
		{"create", "first", 0o644},
		{"replace, mode changed", "second, longer than the first", 0o600},
		{"replace with less", "3", 0o644},
	} {
		if err := Write(path, []byte(tc.data), tc.perm); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tc.data {
			t.Errorf("%s: content %q (%v), want %q", tc.name, got, err, tc.data)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.perm {
			t.Errorf("%s: mode %v (%v), want %v", tc.name, fi.Mode().Perm(), err, tc.perm)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %d entries (%v), want the file alone: a temporary file was left", len(entries), err)
	}
	if err := Write(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("no error writing into a directory that does not exist")
	}
}
