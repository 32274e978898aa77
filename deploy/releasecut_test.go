package deploy

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// TestReleaseCut runs `make release VERSION=v0.2.0` in a copy of the
// repository's committed files, then checks that the version reached the
// chart, the rendered manifests, the tag, hack/version.sh, `make
// release-check` and `pullthrough version`, and that make refuses what it
// must.
func TestReleaseCut(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the chart with helm and helm-docs in a copy of the repository")
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
		"GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid", "GIT_CONFIG_GLOBAL": os.DevNull} {
		t.Setenv(k, v)
	}
	dir := copyRepo(t, root)
	changelog := filepath.Join(dir, "CHANGELOG.md")
	data, err := os.ReadFile(changelog)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "## [Unreleased]\n", "## [Unreleased]\n\n## [0.2.0]\n\n### Fixed\n- e2e.\n", 1))
	if err := os.WriteFile(changelog, data, 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, dir, "git", "commit", "-qam", "changelog 0.2.0")

	refused := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no VERSION", []string{"release"}, 2, "give VERSION=vX.Y.Z"},
		{"not a version", []string{"release", "VERSION=v0.2"}, 2, "want vMAJOR.MINOR.PATCH"},
		{"no CHANGELOG section", []string{"release", "VERSION=v0.3.0"}, 1, "no '## [0.3.0]' section"},
		{"not yet released", []string{"release-check", "VERSION=v0.2.0"}, 1, "version is '0.1.0', not 0.2.0"},
	}
	for _, tt := range refused {
		cmd := exec.CommandContext(t.Context(), "make", append([]string{"--no-print-directory"}, tt.args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		// make exits 2 when a recipe fails; the script's own code is in its message.
		if !errors.As(err, &exit) || !strings.Contains(string(out), tt.says) {
			t.Errorf("%s: make %v: %v, want a failure saying %q:\n%s", tt.name, tt.args, err, tt.says, out)
		}
	}

	runIn(t, dir, "make", "--no-print-directory", "release", "VERSION=v0.2.0")
	for file, want := range map[string]string{
		"deploy/charts/pullthrough/Chart.yaml":       "\nversion: 0.2.0\nappVersion: \"0.2.0\"\n",
		"deploy/manifests/pullthrough.yaml":          "image: ghcr.io/pullthrough/pullthrough:0.2.0\n",
		"deploy/charts/pullthrough/README.md":        "![Version: 0.2.0]",
		"deploy/manifests/pullthrough-migrator.yaml": "helm.sh/chart: pullthrough-0.2.0\n",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s after make release: no %q", file, want)
		}
	}
	if got := runIn(t, dir, "git", "tag", "--points-at", "HEAD"); got != "v0.2.0\n" {
		t.Errorf("tags at HEAD: %q, want v0.2.0", got)
	}
	if got := runIn(t, dir, "git", "status", "--porcelain"); got != "" {
		t.Errorf("make release left changes uncommitted:\n%s", got)
	}
	if got := runIn(t, dir, "hack/version.sh"); got != "0.2.0\n" {
		t.Errorf("hack/version.sh = %q, want 0.2.0", got)
	}
	runIn(t, dir, "make", "--no-print-directory", "release-check", "VERSION=v0.2.0")
	runIn(t, dir, "make", "--no-print-directory", "build")
	if got := runIn(t, dir, "bin/pullthrough", "version"); !strings.HasPrefix(got, "pullthrough 0.2.0 (go") {
		t.Errorf("pullthrough version = %q, want pullthrough 0.2.0", got)
	}
}

// copyRepo copies root's committed files into a new git repository with one
// commit, sharing root's bin/tools (helm, helm-docs) so nothing is built
// twice, and returns its directory.
func copyRepo(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimSpace(runIn(t, root, "git", "ls-files")), "\n") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "bin", "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "bin", "tools"), filepath.Join(dir, "bin", "tools")); err != nil {
		t.Fatal(err)
	}
	runIn(t, dir, "git", "init", "-q")
	runIn(t, dir, "git", "add", "-A")
	runIn(t, dir, "git", "commit", "-qm", "copy")
	return dir
}
