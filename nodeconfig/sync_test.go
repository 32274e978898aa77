package nodeconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ownedContent(s string) []byte { return []byte(Marker + "\n" + s) }

// TestSync walks one directory through the life of the agent: first write,
// a change, a removed mirror, a foreign file in the way, and the uninstall.
func TestSync(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	foreign := filepath.Join(dir, "registry.local", fileName)
	writeFile(t, foreign, "server = \"https://registry.local\"\n")
	caBeside := filepath.Join(dir, "quay.io", "ca.crt")
	writeFile(t, caBeside, "a CA someone put there")

	type step struct {
		name      string
		files     []File
		written   []string
		removed   []string
		unchanged int
		err       string // the end of the error, "" for none
	}
	steps := []step{{
		name:    "create",
		files:   []File{{"docker.io", ownedContent("a")}, {"quay.io", ownedContent("q")}},
		written: []string{"docker.io/hosts.toml", "quay.io/hosts.toml"},
	}, {
		name:      "nothing changed",
		files:     []File{{"docker.io", ownedContent("a")}, {"quay.io", ownedContent("q")}},
		unchanged: 2,
	}, {
		name:      "update",
		files:     []File{{"docker.io", ownedContent("b")}, {"quay.io", ownedContent("q")}},
		written:   []string{"docker.io/hosts.toml"},
		unchanged: 1,
	}, {
		name:    "remove a mirror",
		files:   []File{{"docker.io", ownedContent("b")}},
		removed: []string{"quay.io/hosts.toml"}, unchanged: 1,
	}, {
		name:      "foreign file in the way",
		files:     []File{{"docker.io", ownedContent("b")}, {"registry.local", ownedContent("r")}},
		unchanged: 1,
		err:       "registry.local/hosts.toml: " + foreignFile,
	}}
	for _, s := range steps {
		res, err := Sync(dir, s.files)
		if (err != nil) != (s.err != "") || (err != nil && !strings.HasSuffix(err.Error(), s.err)) {
			t.Fatalf("%s: error %v, want %v", s.name, err, s.err)
		}
		if !slices.Equal(res.Written, s.written) || !slices.Equal(res.Removed, s.removed) || res.Unchanged != s.unchanged {
			t.Errorf("%s: %+v, want written %q removed %q unchanged %d", s.name, res, s.written, s.removed, s.unchanged)
		}
		for _, f := range s.files {
			if got := readFile(t, filepath.Join(dir, f.Path())); got != string(f.Content) && f.Registry != "registry.local" {
				t.Errorf("%s: %s holds %q, want %q", s.name, f.Path(), got, f.Content)
			}
		}
	}
	if got := readFile(t, foreign); got != "server = \"https://registry.local\"\n" {
		t.Errorf("the foreign file was changed: %q", got)
	}
	if got := readFile(t, caBeside); got != "a CA someone put there" {
		t.Errorf("a foreign file beside an owned one was changed: %q", got)
	}
	removed, err := Cleanup(dir)
	if err != nil || !slices.Equal(removed, []string{"docker.io/hosts.toml"}) {
		t.Fatalf("cleanup removed %q, %v", removed, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	// docker.io was ours alone and goes; quay.io keeps the CA; registry.local is foreign.
	if !slices.Equal(left, []string{"quay.io", "registry.local"}) {
		t.Errorf("after cleanup the directory holds %q", left)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".pullthrough-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
}

func TestSyncMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "certs.d")
	if removed, err := Cleanup(dir); err != nil || removed != nil {
		t.Fatalf("cleanup of a missing directory: %q, %v", removed, err)
	}
	res, err := Sync(dir, []File{{"docker.io", ownedContent("a")}})
	if err != nil || len(res.Written) != 1 {
		t.Fatalf("sync into a missing directory: %+v, %v", res, err)
	}
}

func TestOwned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		content string
		want    bool
	}{
		{Marker + "\nserver = \"x\"\n", true},
		{Marker, true},
		{"# " + Marker + "\n", false}, // a commented-out marker hands the file over
		{"server = \"x\"\n" + Marker + "\n", false},
		{"", false},
	} {
		if got := owned([]byte(tc.content)); got != tc.want {
			t.Errorf("owned(%q) = %v, want %v", tc.content, got, tc.want)
		}
	}
}
