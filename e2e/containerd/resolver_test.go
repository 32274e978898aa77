package containerd

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// loopbackOnly stands for a node that cannot reach the internet: requests to
// any host but loopback fail, and every host asked for is recorded, so a
// test can show that resolution never went to the public registry.
type loopbackOnly struct {
	next  http.RoundTripper
	mu    *sync.Mutex
	asked *[]string
}

func (l loopbackOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	if !slices.Contains(*l.asked, req.URL.Host) {
		*l.asked = append(*l.asked, req.URL.Host)
	}
	l.mu.Unlock()
	if ip := net.ParseIP(req.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s is not reachable from this node (loopback only)", req.URL.Host)
	}
	return l.next.RoundTrip(req)
}

// resolution is what containerd's resolver made of one image.
type resolution struct {
	digest digest.Digest
	asked  []string // hosts in the order they were first asked
	err    error
}

// resolve resolves ref the way containerd's CRI plugin does, with the host
// files in dir, then fetches the manifest it resolved (the pull capability)
// and checks the bytes against the digest.
func resolve(ctx context.Context, dir, ref string) resolution {
	return resolveWith(ctx, ref, func(update config.UpdateClientFunc) docker.RegistryHosts {
		return config.ConfigureHosts(ctx, config.HostOptions{HostDir: config.HostDirFromRoot(dir), UpdateClient: update})
	})
}

// resolveWith resolves ref with the hosts that configure returns, on a node
// that reaches only loopback (update wraps each host's client), and fetches
// the manifest it resolved.
func resolveWith(ctx context.Context, ref string, configure func(update config.UpdateClientFunc) docker.RegistryHosts) resolution {
	var mu sync.Mutex
	var asked []string
	hosts := configure(func(c *http.Client) error {
		c.Transport = loopbackOnly{next: c.Transport, mu: &mu, asked: &asked}
		return nil
	})
	r := docker.NewResolver(docker.ResolverOptions{Hosts: hosts})
	name, desc, err := r.Resolve(ctx, ref)
	if err == nil {
		err = fetchManifest(ctx, r, name, desc)
	}
	mu.Lock()
	defer mu.Unlock()
	return resolution{digest: desc.Digest, asked: slices.Clone(asked), err: err}
}

// fetchManifest pulls the resolved manifest through the same hosts and
// checks that its bytes are the ones the digest names.
func fetchManifest(ctx context.Context, r remotes.Resolver, name string, desc ocispec.Descriptor) error {
	f, err := r.Fetcher(ctx, name)
	if err != nil {
		return fmt.Errorf("fetcher for %s: %w", name, err)
	}
	rc, err := f.Fetch(ctx, desc)
	if err != nil {
		return fmt.Errorf("fetch %s@%s: %w", name, desc.Digest, err)
	}
	defer func() { _ = rc.Close() }() // read-only: nothing to lose
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read %s@%s: %w", name, desc.Digest, err)
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return fmt.Errorf("%s: fetched manifest has digest %s, resolved %s", name, got, desc.Digest)
	}
	return nil
}
