package image

import (
	"fmt"
	"maps"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// User is the numeric user and group the image runs as: distroless's
// "nonroot", which the chart's securityContext names too.
const User = "65532:65532"

// BinaryPath is the binary's path in the image, its entrypoint.
const BinaryPath = "/pullthrough"

// Binary is one platform's build of the binary.
type Binary struct {
	// Platform is the OS and architecture it was built for.
	Platform v1.Platform
	// Data is the executable.
	Data []byte
}

// Common returns the layer every platform shares: the CA bundle and the
// license texts (path -> contents, e.g. /usr/share/doc/pullthrough/NOTICE).
// Being identical, registries store it once.
func Common(licenses map[string][]byte, meta Meta) (v1.Layer, error) {
	ca, err := CABundle()
	if err != nil {
		return nil, err
	}
	files := []File{{Path: CABundlePath, Mode: 0o644, Data: ca}}
	for _, p := range slices.Sorted(maps.Keys(licenses)) {
		files = append(files, File{Path: p, Mode: 0o644, Data: licenses[p]})
	}
	return Layer(files, meta.Created)
}

// Image returns the image of one platform: common, then the binary's layer,
// with the config that runs the binary as User.
func Image(common v1.Layer, bin Binary, meta Meta) (v1.Image, error) {
	binLayer, err := Layer([]File{{Path: BinaryPath, Mode: 0o755, Data: bin.Data}}, meta.Created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: meta.Created.UTC()}
	cfg := &v1.ConfigFile{
		Architecture: bin.Platform.Architecture,
		Variant:      bin.Platform.Variant,
		OS:           bin.Platform.OS,
		Created:      created,
		Config: v1.Config{
			User:       User,
			Entrypoint: []string{BinaryPath},
			WorkingDir: "/",
			Labels:     meta.Labels(),
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, fmt.Errorf("image config for %s: %w", bin.Platform.String(), err)
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: common, MediaType: types.OCILayer,
			History: v1.History{Created: created, CreatedBy: "pullthrough hack/image: " + CABundlePath + " and license texts"}},
		mutate.Addendum{Layer: binLayer, MediaType: types.OCILayer,
			History: v1.History{Created: created, CreatedBy: "pullthrough hack/image: " + BinaryPath + " " + meta.Version}},
	)
	if err != nil {
		return nil, fmt.Errorf("image layers for %s: %w", bin.Platform.String(), err)
	}
	return mutate.Annotations(img, meta.Labels()).(v1.Image), nil
}

// Index returns the OCI image index of images, one per platform, in the
// order given.
func Index(images []v1.Image, meta Meta) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, 0, len(images))
	for _, img := range images {
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("index: reading an image's config: %w", err)
		}
		p := cfg.Platform()
		if p == nil {
			return nil, fmt.Errorf("index: an image has no platform")
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	return mutate.Annotations(idx, meta.Labels()).(v1.ImageIndex), nil
}
