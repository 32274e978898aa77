package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyConfig is the OCI empty descriptor's content: artifacts without a
// config of their own point at it (image-spec 1.1, "Guidance for an Empty
// Descriptor").
var emptyConfig = []byte("{}")

// Attachment returns an OCI 1.1 artifact manifest, as a v1.Image so that
// registries and layouts take it like any image, that carries doc (one
// blob of mediaType, named title) and refers to subject: a registry lists it
// among subject's referrers (or under the sha256-<digest> fallback tag when
// it has no referrers API), which is where cosign, oras and `crane
// referrers` look for an image's SBOM.
func Attachment(subject v1.Descriptor, mediaType types.MediaType, title string, doc []byte, created time.Time) (v1.Image, error) {
	blob, err := descriptor(mediaType, doc)
	if err != nil {
		return nil, err
	}
	blob.Annotations = map[string]string{"org.opencontainers.image.title": title}
	config, err := descriptor(types.OCIEmptyJSON, emptyConfig)
	if err != nil {
		return nil, err
	}
	config.Data = emptyConfig
	subject = v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(mediaType),
		Config:        config,
		Layers:        []v1.Descriptor{blob},
		Subject:       &subject,
		Annotations:   map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the %s artifact manifest: %w", title, err)
	}
	return partial.CompressedToImage(attachment{manifest: raw, blob: blob, doc: doc})
}

// descriptor describes data of mediaType.
func descriptor(mediaType types.MediaType, data []byte) (v1.Descriptor, error) {
	h, _, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("hashing a %s blob: %w", mediaType, err)
	}
	return v1.Descriptor{MediaType: mediaType, Digest: h, Size: int64(len(data))}, nil
}

// attachment is the core of Attachment's image: a manifest, the empty
// config and one blob.
type attachment struct {
	manifest []byte
	blob     v1.Descriptor
	doc      []byte
}

var _ partial.CompressedImageCore = attachment{}

func (a attachment) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a attachment) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a attachment) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a attachment) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != a.blob.Digest {
		return nil, fmt.Errorf("artifact: no blob %s", h)
	}
	return blob{desc: a.blob, data: a.doc}, nil
}

// blob is the artifact's one blob, stored as it is (not compressed).
type blob struct {
	desc v1.Descriptor
	data []byte
}

func (b blob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b blob) Size() (int64, error)                { return b.desc.Size, nil }
func (b blob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b blob) Compressed() (io.ReadCloser, error)  { return io.NopCloser(bytes.NewReader(b.data)), nil }
