// Package atomicfile replaces a file's content so that a reader (containerd
// reading hosts.toml, the webhook's certificate watcher) never sees half of
// it.
//
// The contract: Write puts the content in a temporary file beside the
// target, syncs it to disk and renames it over the target, which POSIX makes
// atomic; a crash leaves the old file or the new one, never a mix. On
// failure the target is untouched and the temporary file removed. It is the
// one such write of the module (node agent, certificate directory).
package atomicfile
