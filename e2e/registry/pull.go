package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pullPlatform is the platform Pull picks from an index, as an amd64 node would.
var pullPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Pull pulls ref (as a pod holds it: a proxy or upstream address, a repository path, a
// tag or digest) as a node runtime would — the manifest, for an index the linux/amd64
// image's manifest, its config and every layer — with keychain's credentials, and
// returns the digest ref resolved to (the index's for an index).
func (s *Set) Pull(ctx context.Context, ref string, keychain authn.Keychain) (string, error) {
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("pulling %q: %w", ref, err)
	}
	desc, err := remote.Get(r, remote.WithContext(ctx), remote.WithTransport(s.transport),
		remote.WithAuthFromKeychain(keychain), remote.WithPlatform(pullPlatform))
	if err != nil {
		return "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	img, err := desc.Image() // an index yields its pullPlatform image
	if err != nil {
		return "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	if _, err := img.RawConfigFile(); err != nil {
		return "", fmt.Errorf("pulling %s: config: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	for _, l := range layers {
		if err := drain(l); err != nil {
			return "", fmt.Errorf("pulling %s: %w", ref, err)
		}
	}
	return desc.Digest.String(), nil
}

// drain reads a layer's compressed bytes, which go-containerregistry verifies against
// the layer's digest as it reads.
func drain(l v1.Layer) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("reading a layer: %w", err)
	}
	return nil
}
