package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pullthrough/pullthrough/internal/gobuild"
)

// docs are the files beside the binary in every archive, from the
// repository root: the license and notices travel with the binary.
var docs = []string{"LICENSE", "NOTICE", "README.md"}

// checksumsFile is what sha256sum -c reads.
const checksumsFile = "checksums.txt"

// dist builds every platform's archive into o.out, then checksums.txt, and
// prints the path of each file it wrote.
func dist(ctx context.Context, o options, stdout io.Writer) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(o.out, "pullthrough_*.tar.gz"))
	if err != nil {
		return err
	}
	for _, f := range append(stale, filepath.Join(o.out, checksumsFile)) {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "pullthrough-dist-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }() // a temporary directory; the archives are written elsewhere
	var sums strings.Builder
	for _, p := range o.platforms {
		bin, err := gobuild.Compile(ctx, tmp, p, o.ldflags)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("pullthrough_%s_%s_%s.tar.gz", o.version, p.OS, p.Architecture)
		path := filepath.Join(o.out, name)
		sum, err := writeArchive(path, bin, o.modTime)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(&sums, "%s  %s\n", sum, name)
		fmt.Fprintln(stdout, path)
	}
	path := filepath.Join(o.out, checksumsFile)
	if err := os.WriteFile(path, []byte(sums.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

// writeArchive writes the tar.gz of bin (as pullthrough) and docs to path
// and returns its sha256 in hex. Nothing of the machine or the moment goes
// in: entries have modTime, uid and gid 0 without names, mode 0755 or 0644;
// the gzip header is Go's zero header (no time, no name).
func writeArchive(path, bin string, modTime time.Time) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	zw, err := gzip.NewWriterLevel(io.MultiWriter(f, h), gzip.BestCompression)
	if err != nil {
		_ = f.Close()
		return "", err
	}
	tw := tar.NewWriter(zw)
	entries := []entry{{"pullthrough", bin, 0o755}}
	for _, d := range docs {
		entries = append(entries, entry{d, d, 0o644})
	}
	for _, e := range entries {
		if err := e.add(tw, modTime); err != nil {
			_ = f.Close()
			return "", err
		}
	}
	for _, c := range []io.Closer{tw, zw, f} {
		if err := c.Close(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// entry is one file of an archive: its name there, where it is read from,
// and its mode.
type entry struct {
	name, src string
	mode      int64
}

// add writes the entry to tw with modTime.
func (e entry) add(tw *tar.Writer, modTime time.Time) error {
	b, err := os.ReadFile(e.src)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: e.name, Mode: e.mode, Size: int64(len(b)),
		ModTime: modTime, Format: tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	_, err = tw.Write(b)
	return err
}
