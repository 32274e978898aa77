package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/registry"
)

// releaseVersion is the version the release tests build and push: a
// pre-release, so that nothing mistakes it for a real one.
const releaseVersion = "0.1.0-e2e.1"

// TestRelease runs the release path as the release workflow does, against a
// real Distribution registry on 127.0.0.1 over plain HTTP: `make image`
// twice (the second build must give the same digest), then checks the
// pushed index, its images and their SBOMs (releaseimage_test.go); `make
// chart-push`, then `helm show chart` and `helm template` from the pushed
// reference, and the rendering applied as a server-side dry run on a real
// API server (releasechart_test.go).
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the image and runs a registry and an API server")
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.StartLocalForTest(t)
	repo := reg.Addr + "/pullthrough"

	var digests []string
	for i, tag := range []string{releaseVersion, releaseVersion + "-again"} {
		start := time.Now()
		out := runIn(t, root, "make", "--no-print-directory", "image", "IMAGE="+repo+":"+tag, "VERSION="+releaseVersion)
		t.Logf("make image, build %d: %s", i+1, time.Since(start).Round(time.Second))
		digests = append(digests, pushedDigest(t, out, repo))
	}
	t.Logf("index digests of the two builds: %s, %s", digests[0], digests[1])
	if digests[0] != digests[1] {
		t.Errorf("two builds of one commit: %s and %s, want one digest (reproducible build)", digests[0], digests[1])
	}
	revision := strings.TrimSpace(runIn(t, root, "git", "rev-parse", "HEAD"))
	t.Run("image", func(t *testing.T) { checkImage(t, repo+"@"+digests[0], revision) })
	t.Run("chart", func(t *testing.T) { checkChart(t, root, reg.Addr, repo, digests[0]) })
}

// pushedDigest returns the digest in `make image`'s last line, REPO@DIGEST.
func pushedDigest(t *testing.T, out, repo string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(repo) + `@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("make image printed %q last, want %s@sha256:...", last, repo)
	}
	return m[1]
}

// tagDigest returns the digest ref's tag points at in the registry.
func tagDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return desc.Digest.String()
}

// runIn runs a command in dir and returns its standard output; it fails t
// with the command's output when the command fails.
func runIn(t *testing.T, dir string, command string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), command, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", command, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

// writeTemp writes data into a file of t's temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
