package nodeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pullthrough/pullthrough/internal/atomicfile"
)

// foreignFile says why a registry whose hosts.toml exists without Marker is
// an error: someone else manages it, so it is left as it is.
const foreignFile = "exists and is not managed by pullthrough (no marker); left alone"

// Result says what one Sync changed.
type Result struct {
	// Written are the files created or updated, relative to the directory.
	Written []string
	// Removed are the owned files deleted because no mirror wants them.
	Removed []string
	// Unchanged counts the owned files already as wanted.
	Unchanged int
}

// Sync makes dir hold exactly files among the files pullthrough owns: it
// writes each file whose content differs, removes owned files that are not
// wanted (with their directory when it is left empty), and never touches a
// file without Marker. Every problem is returned, joined; the other files
// are still synced.
func Sync(dir string, files []File) (Result, error) {
	var res Result
	var errs []error
	wanted := map[string]bool{}
	for _, f := range files {
		wanted[f.Registry] = true
		written, err := syncFile(dir, f)
		switch {
		case err != nil:
			errs = append(errs, err)
		case written:
			res.Written = append(res.Written, f.Path())
		default:
			res.Unchanged++
		}
	}
	removed, err := removeUnwanted(dir, wanted)
	res.Removed = removed
	return res, errors.Join(append(errs, err)...)
}

// Cleanup removes every file pullthrough owns in dir: the uninstall.
func Cleanup(dir string) ([]string, error) {
	return removeUnwanted(dir, nil)
}

// syncFile writes one file unless it is already as wanted or foreign.
func syncFile(dir string, f File) (written bool, err error) {
	p := filepath.Join(dir, f.Registry, fileName)
	old, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("read %s: %w", p, err)
	case !owned(old):
		return false, fmt.Errorf("%s: %s", p, foreignFile)
	case bytes.Equal(old, f.Content):
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	if err := atomicfile.Write(p, f.Content, 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// removeUnwanted deletes the owned hosts.toml of every registry not in
// wanted, and its directory when nothing else is left in it.
func removeUnwanted(dir string, wanted map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || wanted[e.Name()] {
			continue
		}
		p := filepath.Join(dir, e.Name(), fileName)
		mine, err := ownedFile(p)
		if err != nil {
			errs = append(errs, err)
		}
		if !mine {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", p, err))
			continue
		}
		removed = append(removed, filepath.Join(e.Name(), fileName))
		// Fails, as it should, when the directory holds other files (a CA).
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !isNotEmpty(err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", filepath.Join(dir, e.Name()), err))
		}
	}
	return removed, errors.Join(errs...)
}

// ownedFile reports whether the file at p exists and starts with Marker.
func ownedFile(p string) (bool, error) {
	content, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return owned(content), nil
}

// isNotEmpty reports a failed removal of a directory that still holds files.
func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

// owned reports whether content starts with the Marker line.
func owned(content []byte) bool {
	line, _, _ := bytes.Cut(content, []byte("\n"))
	return string(line) == Marker
}
