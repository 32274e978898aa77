package main

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/pullthrough/pullthrough/internal/gobuild"
	"github.com/pullthrough/pullthrough/internal/image"
)

// artifacts is what one build publishes: the index and, per platform
// image, its SBOM and the artifact that attaches it.
type artifacts struct {
	index       v1.ImageIndex
	sboms       map[string][]byte // file name -> SPDX JSON
	subjects    []string          // "DIGEST FILE": the platform image each SBOM describes
	attachments []v1.Image
}

// build compiles, assembles and publishes.
func build(ctx context.Context, o options, stdout, stderr io.Writer) error {
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	a, err := assemble(ctx, root, o, stderr)
	if err != nil {
		return err
	}
	digest, err := publish(ctx, o, a, stdout)
	if err != nil {
		return err
	}
	if o.sbomDir != "" {
		// subjects lists which platform image each SBOM describes, for
		// `cosign attest` in the release workflow.
		a.sboms["subjects"] = []byte(strings.Join(a.subjects, ""))
		if err := writeFiles(o.sbomDir, a.sboms); err != nil {
			return err
		}
	}
	if o.digestFile != "" {
		if err := os.WriteFile(o.digestFile, []byte(digest.String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("writing -digest-file: %w", err)
		}
	}
	return nil
}

// assemble compiles every platform's binary into a temporary directory,
// which it removes, and builds the index and the SBOM attachments (which
// hold the binaries in memory).
func assemble(ctx context.Context, root string, o options, stderr io.Writer) (a artifacts, err error) {
	a.sboms = map[string][]byte{}
	tmp, err := os.MkdirTemp("", "pullthrough-image-")
	if err != nil {
		return a, fmt.Errorf("temporary directory: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("removing the binaries: %w", rmErr))
		}
	}()
	legal, err := licenses(ctx, root, o.platforms)
	if err != nil {
		return a, fmt.Errorf("license texts: %w", err)
	}
	common, err := image.Common(legal, o.meta)
	if err != nil {
		return a, fmt.Errorf("common layer: %w", err)
	}
	var images []v1.Image
	for _, p := range o.platforms {
		fmt.Fprintf(stderr, "image: building %s\n", p)
		path, err := gobuild.Compile(ctx, tmp, p, o.ldflags)
		if err != nil {
			return a, err
		}
		img, sbomName, sbom, err := platformImage(path, p, common, o.meta)
		if err != nil {
			return a, err
		}
		desc, err := partial.Descriptor(img)
		if err != nil {
			return a, fmt.Errorf("%s: image descriptor: %w", p.String(), err)
		}
		att, err := image.Attachment(*desc, image.SBOMMediaType, sbomName, sbom, o.meta.Created)
		if err != nil {
			return a, fmt.Errorf("%s: SBOM attachment: %w", p.String(), err)
		}
		images = append(images, img)
		a.attachments = append(a.attachments, att)
		a.sboms[sbomName] = sbom
		a.subjects = append(a.subjects, desc.Digest.String()+" "+sbomName+"\n")
	}
	if a.index, err = image.Index(images, o.meta); err != nil {
		return a, err
	}
	return a, nil
}

// platformImage returns the image of the binary at path and its SBOM's
// file name and contents.
func platformImage(path string, p v1.Platform, common v1.Layer, meta image.Meta) (v1.Image, string, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("reading the binary: %w", err)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: reading its build information: %w", path, err)
	}
	sum := sha256.Sum256(data)
	name := "pullthrough-" + meta.Version + "-" + p.OS + "-" + p.Architecture + p.Variant
	sbom, err := image.SBOM(bi, hex.EncodeToString(sum[:]), name, meta)
	if err != nil {
		return nil, "", nil, err
	}
	img, err := image.Image(common, image.Binary{Platform: p, Data: data}, meta)
	if err != nil {
		return nil, "", nil, err
	}
	return img, name + ".spdx.json", sbom, nil
}

// writeFiles replaces dir with one holding name -> contents (no SBOM of an
// earlier version stays behind).
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
