package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one regular file of a layer: an absolute path in the image, its
// permission bits and its contents.
type File struct {
	Path string
	Mode int64
	Data []byte
}

// Layer returns a gzip-compressed OCI layer holding files and every parent
// directory they need, all stamped with mtime and owned by root. The tar
// stream depends only on its arguments: entries are sorted by path and carry
// no user names, access or change times.
func Layer(files []File, mtime time.Time) (v1.Layer, error) {
	data, err := tarStream(files, mtime)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// tarStream writes the uncompressed tar stream of Layer.
func tarStream(files []File, mtime time.Time) ([]byte, error) {
	entries := map[string]*tar.Header{}
	contents := map[string][]byte{}
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean(f.Path), "/")
		if !path.IsAbs(f.Path) || name == "" || name == "." {
			return nil, fmt.Errorf("layer file %q: want an absolute path below /", f.Path)
		}
		if _, dup := entries[name]; dup {
			return nil, fmt.Errorf("layer file %q: given twice", f.Path)
		}
		entries[name] = &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: f.Mode, Size: int64(len(f.Data)), ModTime: mtime}
		contents[name] = f.Data
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if h, ok := entries[dir+"/"]; ok && h.Typeflag == tar.TypeDir {
				break
			}
			entries[dir+"/"] = &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mtime}
		}
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, name := range names {
		h := entries[name]
		// USTAR: no PAX records (which would carry times of their own).
		h.Format = tar.FormatUSTAR
		if err := w.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", name, err)
		}
		if _, err := w.Write(contents[name]); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	return buf.Bytes(), nil
}
