package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRunRefusesBadFlags: every flag error exits 2 naming the flag and the
// value, before anything is built.
func TestRunRefusesBadFlags(t *testing.T) {
	t.Parallel()
	good := []string{"-version", "0.1.0", "-source-date-epoch", "1700000000"}
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"-h"}, 0, "-source-date-epoch"},
		{"arguments", append(good, "extra"), 2, `unexpected arguments ["extra"]`},
		{"no epoch", good[:2], 2, `-source-date-epoch "": want Unix seconds`},
		{"no version", good[2:], 2, `-version ""`},
		{"a version that would split a file name", []string{"-version", "0.1.0_rc", "-source-date-epoch", "1"}, 2, `-version "0.1.0_rc"`},
		{"a platform with a variant", append(good, "-platforms", "linux/arm/v7"), 2, `-platforms "linux/arm/v7"`},
		{"no output directory", append(good, "-out", ""), 2, "-out: empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.says) {
				t.Errorf("run(%q) = %d, stderr %q; want %d saying %q", tt.args, code, stderr.String(), tt.code, tt.says)
			}
		})
	}
}

// TestDistIsReproducible builds the archive of this machine's platform
// twice, into two directories at two moments: the archives and checksums
// are byte for byte the same; checksums.txt is what sha256sum prints; the
// archive holds the binary and the docs with the commit's time, owner 0 and
// fixed modes; and the binary in it runs and says its version. One platform
// keeps the test cheap: the others differ only in GOOS and GOARCH. The go
// command stamps the tree's VCS state into the binary: a commit or an edit
// between the two builds makes them differ, as it should.
func TestDistIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Chdir("../..") // the module root, where make runs it
	platform := runtime.GOOS + "/" + runtime.GOARCH
	epoch := time.Unix(1700000000, 0).UTC()
	var first [][]byte
	for i, dir := range []string{t.TempDir(), t.TempDir()} {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // a second build at another second
		}
		var stdout, stderr bytes.Buffer
		args := []string{"-version", "1.2.3", "-source-date-epoch", fmt.Sprint(epoch.Unix()), "-platforms", platform,
			"-ldflags", "-s -w -X main.version=1.2.3", "-out", dir}
		if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("run = %d: %s", code, stderr.String())
		}
		name := fmt.Sprintf("pullthrough_1.2.3_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
		archive := readFile(t, filepath.Join(dir, name))
		sums := readFile(t, filepath.Join(dir, "checksums.txt"))
		sum := sha256.Sum256(archive)
		if want := hex.EncodeToString(sum[:]) + "  " + name + "\n"; string(sums) != want {
			t.Errorf("checksums.txt = %q, want %q (sha256sum's format)", sums, want)
		}
		if i == 0 {
			first = [][]byte{archive, sums}
			checkArchive(t, archive, epoch, dir)
			continue
		}
		if !bytes.Equal(archive, first[0]) || !bytes.Equal(sums, first[1]) {
			t.Errorf("a second build differs: checksums %q, then %q", first[1], sums)
		}
	}
}

// checkArchive checks the entries of a tar.gz and runs its binary.
func checkArchive(t *testing.T, archive []byte, epoch time.Time, dir string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("gzip header: time %v, name %q; want neither", zr.ModTime, zr.Name)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		wantMode := int64(0o644)
		if hdr.Name == "pullthrough" {
			wantMode = 0o755
			bin := filepath.Join(dir, "pullthrough")
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bin, b, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.CommandContext(t.Context(), bin, "version").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "1.2.3") {
				t.Errorf("pullthrough version: %q, %v; want 1.2.3", out, err)
			}
		}
		if !hdr.ModTime.Equal(epoch) || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" || hdr.Mode != wantMode {
			t.Errorf("%s: time %v, owner %d:%d (%q:%q), mode %o; want %v, 0:0 unnamed, %o",
				hdr.Name, hdr.ModTime, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.Mode, epoch, wantMode)
		}
	}
	if got, want := strings.Join(names, " "), "pullthrough LICENSE NOTICE README.md"; got != want {
		t.Errorf("entries %q, want %q", got, want)
	}
}

// readFile reads a file or fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
