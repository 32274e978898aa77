// Package rewrite decides, for one image reference at a time, whether and how it
// moves from a public registry to the internal pull-through proxy.
//
// It is the pure core of pullthrough: it takes strings, a Config and
// PodContainers (the names and images of a pod spec) and returns values. It holds no clients, serves no HTTP and keeps no
// globals, so the webhook, the migrator and the CLI all give the same answer for
// the same image.
//
// The contract, in full:
//
//   - An image is parsed with github.com/distribution/reference
//     (ParseNormalizedNamed): "nginx" is "docker.io/library/nginx". The Docker Hub
//     aliases index.docker.io, registry-1.docker.io and registry.hub.docker.com
//     count as docker.io; registry hosts compare case-insensitively.
//   - A Mirror's source matches a normalized name that equals it or continues
//     with "/" after it, so "docker.io/bit" never matches "docker.io/bitnami/x"
//     and "docker.io" never matches "docker.io.evil.com/x". The longest matching
//     source wins.
//   - The result is the target, the rest of the path, and the tag and digest as
//     written: no tag is invented, none is dropped. A result that does not
//     re-parse to itself is refused (OutcomeInvalidResult) and the image is left
//     alone.
//   - Rewriting is a fixed point: an image already under any target is
//     OutcomeAlreadyProxied, so Rewrite(Rewrite(x)) == Rewrite(x).
//   - Every decision carries one Outcome from a closed set, used alike in logs,
//     metrics, warnings and --explain.
//
// A Config is rejected at load when any mirror, glob, mode or migrate target is
// malformed, or when rewriting would loop (a target matched by a source); the
// error names the file, the field path and the value.
package rewrite
