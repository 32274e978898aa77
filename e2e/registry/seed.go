package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is one image to seed an upstream with.
type Image struct {
	// Ref is the public reference, with a tag ("nginx:1.27", "ghcr.io/org/team/tool:v1");
	// its registry must be one of Options.Hosts (docker.io for short names).
	Ref string
	// Platforms ("linux/amd64", "linux/arm64") make it a multi-arch index of one random
	// image each; none makes it a single image.
	Platforms []string
	// Runnable makes it an image a node can run (Platforms is then ignored): the
	// sleeper program (e2e/registry/sleeper) as its entrypoint, for this machine's
	// architecture, beside a file naming Ref so that every Ref has its own digest.
	Runnable bool
}

// Small random images: two layers of 1 KiB each keep seeding and pulls fast.
const (
	layerBytes = 1024
	layerCount = 2
)

// Seed pushes each image to its upstream (uncounted) and returns the digest of each
// by Ref: what a pull of Ref, directly or through a proxy, must resolve to.
func (s *Set) Seed(ctx context.Context, images ...Image) (map[string]string, error) {
	digests := make(map[string]string, len(images))
	for _, img := range images {
		d, err := s.seed(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("seeding %s: %w", img.Ref, err)
		}
		digests[img.Ref] = d
	}
	return digests, nil
}

func (s *Set) seed(ctx context.Context, img Image) (string, error) {
	up, path, err := s.locate(img.Ref)
	if err != nil {
		return "", err
	}
	if strings.Contains(path, "@") {
		return "", fmt.Errorf("%q: seeding needs a tag, not a digest", img.Ref)
	}
	ref, err := name.NewTag(up.direct+"/"+path, name.StrictValidation)
	if err != nil {
		return "", err
	}
	artifact, err := makeArtifact(img)
	if err != nil {
		return "", err
	}
	switch a := artifact.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, a, remote.WithContext(ctx))
	case v1.Image:
		err = remote.Write(ref, a, remote.WithContext(ctx))
	}
	if err != nil {
		return "", err
	}
	d, err := artifact.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// makeArtifact builds what img asks for: a v1.Image or a v1.ImageIndex.
func makeArtifact(img Image) (interface{ Digest() (v1.Hash, error) }, error) {
	switch {
	case img.Runnable:
		return runnableImage(img.Ref)
	case len(img.Platforms) == 0:
		return random.Image(layerBytes, layerCount)
	default:
		return randomIndex(img.Platforms)
	}
}

// UpstreamRef returns public (as a pod names it: "nginx:1.27", "quay.io/org/app@sha256:...")
// on its upstream's counted address: the reference of a direct pull, bypassing the proxy.
func (s *Set) UpstreamRef(public string) (string, error) {
	up, path, err := s.locate(public)
	if err != nil {
		return "", err
	}
	return up.Addr + "/" + path, nil
}

// locate finds public's upstream and its repository path with the tag or digest
// (":latest" when it has neither, as a runtime assumes).
func (s *Set) locate(public string) (*Upstream, string, error) {
	named, err := reference.ParseNormalizedNamed(public)
	if err != nil {
		return nil, "", fmt.Errorf("image %q: %w", public, err)
	}
	up := s.upstreams[reference.Domain(named)]
	if up == nil {
		return nil, "", fmt.Errorf("image %q: no upstream plays %s", public, reference.Domain(named))
	}
	path := reference.Path(reference.TagNameOnly(named))
	switch r := reference.TagNameOnly(named).(type) {
	case reference.Digested:
		path += "@" + r.Digest().String()
	case reference.Tagged:
		path += ":" + r.Tag()
	}
	return up, path, nil
}

// randomIndex is a Docker manifest list with one random image per os/arch platform.
func randomIndex(platforms []string) (v1.ImageIndex, error) {
	index := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, p := range platforms {
		osName, arch, ok := strings.Cut(p, "/")
		if !ok {
			return nil, fmt.Errorf("platform %q: want os/arch", p)
		}
		img, err := random.Image(layerBytes, layerCount)
		if err != nil {
			return nil, err
		}
		index = mutate.AppendManifests(index, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}},
		})
	}
	return index, nil
}

// DeleteTag deletes public's tag on its upstream (uncounted), as a publisher
// deleting a release does. The manifest stays, reachable by its digest.
func (s *Set) DeleteTag(ctx context.Context, public string) error {
	up, path, err := s.locate(public)
	if err != nil {
		return err
	}
	repo, tag, ok := strings.Cut(path, ":")
	if !ok || strings.Contains(path, "@") {
		return fmt.Errorf("%q: deleting a tag needs a tag, and no digest", public)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+up.direct+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("deleting %s: %w", public, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("deleting %s: %s: %s", public, resp.Status, body)
	}
	return nil
}
