// Package nodeconfig writes containerd's registry host configuration
// (/etc/containerd/certs.d/<registry>/hosts.toml) from pullthrough's mirrors,
// so that a pod admitted with a public image (the webhook fails open, or was
// not up yet) is still pulled through the proxy at the node.
//
// The contract:
//
//   - Generate is pure: one File per registry that a mirror's source names as
//     a whole host, in registry order. Docker Hub's aliases each get the
//     docker.io file's content under their own name, because containerd looks
//     a host directory up by the name the image was written with.
//   - The proxy is a [host] with capabilities pull and resolve. A target with
//     a path (a Harbor project, an Artifactory repository, an ECR pull-through
//     prefix) is written as https://HOST/v2/PATH with override_path = true:
//     containerd then appends the repository to that path as it is, which is
//     the name the webhook would have written.
//   - With node.fallback (the default) the public registry stays the
//     `server`, tried when the proxy fails; without it the proxy is the
//     `server` and the only endpoint.
//   - Rules a registry-level file cannot carry (a source with a path, image
//     exclusions, audit mode, and mirrors scoped to namespaces: a host file
//     serves every namespace on its node, so only unscoped mirrors write
//     one) come back as Warnings, never dropped silently.
//   - Every file starts with Marker. Sync writes and removes only files that
//     carry it, each write atomic (internal/atomicfile: temporary file, fsync,
//     rename), and leaves every other file alone; Cleanup removes them all.
//   - The Agent (`pullthrough nodeconfig --watch`, the chart's DaemonSet)
//     re-reads the config and syncs on every tick, so a deleted file is
//     repaired; an unreadable or invalid config changes nothing on disk.
//     Each sync is recorded in Metrics.
//   - The package talks to no API server and no network: containerd is its
//     only reader.
package nodeconfig
