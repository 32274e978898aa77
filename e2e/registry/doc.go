// Package registry runs real container registries on loopback for end-to-end tests
// and the demo: for each public registry it plays (docker.io, ghcr.io, quay.io...),
// an "upstream" Distribution registry that the test seeds with small random images,
// and in front of it a pull-through cache (Distribution in proxy.remoteurl mode, the
// way a Docker Hub mirror runs) served over TLS from a private test CA, optionally
// behind htpasswd basic auth.
//
// Contract:
//   - The registry binary is the one hack/e2e-bins.sh builds (cluster.RegistryBinary);
//     Start fails naming `make e2e-bins` when it is missing.
//   - Everything listens on 127.0.0.1 with free ports and lives under one temporary
//     directory; Stop ends every process and removes it.
//   - Upstreams start before their proxies (a proxy-mode registry exits when its upstream
//     is unreachable). Each upstream sits behind an in-process counting reverse proxy:
//     Upstream.Addr is that counter, so every request reaching the upstream — from a
//     pull-through proxy or a direct pull — is counted by method and kind (manifest,
//     blob, other). Seeding bypasses the counter.
//   - Proxy.Stop and Proxy.Start stop and restart one pull-through proxy on the same
//     address with its cache intact, for proxy-health tests.
//   - Options.Kinds makes a proxy fail as a real product's cache does, played by an
//     in-process TLS front before the Distribution proxy: ProxyECR (a manifest by
//     digest is 404 MANIFEST_UNKNOWN until a tag of its repository was pulled
//     through it) and ProxyHarbor (a tag the upstream deleted is 404, cached or
//     not). Set.DeleteTag deletes a tag on an upstream, its manifest kept.
//   - Options.AuthHosts puts a proxy behind htpasswd (Set.PullSecret carries the
//     login), and Upstream.SetPullLimit makes an upstream answer 429 with Docker
//     Hub's ratelimit headers past a PullLimit.
//   - Local is one plain-HTTP registry without a proxy or auth, to push to
//     (the release tests push the image and the chart there).
//   - Set.Pull pulls like a node runtime: manifest (an index resolves to linux/amd64),
//     config and every layer, through the given keychain, over TLS to proxies.
package registry
