package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// publish pushes a to o.ref, or writes it as an OCI layout into o.layoutDir,
// prints where it went with the index digest, and returns the digest.
func publish(ctx context.Context, o options, a artifacts, stdout io.Writer) (v1.Hash, error) {
	digest, err := a.index.Digest()
	if err != nil {
		return digest, fmt.Errorf("index digest: %w", err)
	}
	if o.ref == nil {
		if err := writeLayout(o, a); err != nil {
			return digest, fmt.Errorf("OCI layout %s: %w", o.layoutDir, err)
		}
		fmt.Fprintf(stdout, "%s (OCI layout) %s\n", o.layoutDir, digest)
		return digest, nil
	}
	// The docker config's credentials (and its credential helpers);
	// go-containerregistry speaks plain HTTP to loopback registries that
	// do not answer TLS.
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if err := remote.WriteIndex(o.ref, a.index, opts...); err != nil {
		return digest, fmt.Errorf("pushing %s: %w", o.ref, err)
	}
	for _, att := range a.attachments {
		d, err := att.Digest()
		if err != nil {
			return digest, fmt.Errorf("SBOM digest: %w", err)
		}
		// By digest: an attachment needs no tag, the referrers API (or its
		// fallback tag, which go-containerregistry maintains) finds it.
		if err := remote.Write(o.ref.Context().Digest(d.String()), att, opts...); err != nil {
			return digest, fmt.Errorf("pushing the SBOM %s: %w", d, err)
		}
	}
	fmt.Fprintf(stdout, "%s@%s\n", o.ref.Context(), digest)
	return digest, nil
}

// writeLayout replaces o.layoutDir with an OCI layout holding the index
// (named by the version, as `crane push --index` and skopeo read it) and
// the SBOM attachments.
func writeLayout(o options, a artifacts) error {
	if err := os.RemoveAll(o.layoutDir); err != nil {
		return err
	}
	p, err := layout.Write(o.layoutDir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(a.index, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.meta.Version,
	})); err != nil {
		return err
	}
	for _, att := range a.attachments {
		if err := p.AppendImage(att); err != nil {
			return err
		}
	}
	return nil
}
