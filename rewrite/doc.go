// Package rewrite decides, for one image reference at a time, whether and how it
// moves from a public registry to the internal pull-through proxy.
//
// It is the pure core of pullthrough: it takes strings and Rules and returns
// values. It imports no Kubernetes package, holds no clients, serves no HTTP
// and keeps no globals, so the webhook, the migrator and the CLI all give the
// same answer for the same image. Loading the configuration is package
// config's job; walking a pod spec is package podspec's.
//
// The contract, in full:
//
//   - An image is parsed with github.com/distribution/reference
//     (ParseNormalizedNamed): "nginx" is "docker.io/library/nginx".
//   - Registries are compared by one identity, everywhere (sources, targets,
//     exclusions, already-proxied detection, free text, prefixes): the host
//     lower-cased, the default HTTPS port dropped (ghcr.io:443 is ghcr.io),
//     and Docker Hub's aliases index.docker.io, registry-1.docker.io and
//     registry.hub.docker.com folded into docker.io. Another port is another
//     registry. A rewrite writes the target exactly as configured.
//   - A Mirror's source matches a normalized name that equals it or continues
//     with "/" after it, so "docker.io/bit" never matches "docker.io/bitnami/x"
//     and "docker.io" never matches "docker.io.evil.com/x". The longest matching
//     source wins.
//   - A scoped Mirror (Namespaces globs, NamespaceSelector) applies only in
//     the namespaces it selects: Rewriter.In takes a namespace's name and
//     labels as plain values and returns its Rewriter. Among the mirrors
//     that apply the longest source wins, at equal length a scoped one
//     beats an unscoped one, and between scoped ones the earlier in the
//     rules. A Rewriter from New routes as a namespace no scoped mirror
//     selects. Every mirror's target is already-proxied everywhere.
//   - The result is the target, the rest of the path, and the tag and digest as
//     written: no tag is invented, none is dropped. A result that does not
//     re-parse to itself is refused (OutcomeInvalidResult) and the image is left
//     alone.
//   - Rewriting is a fixed point: an image already under any target is
//     OutcomeAlreadyProxied, so Rewrite(Rewrite(x)) == Rewrite(x).
//   - An image no mirror covers is OutcomeUnroutedPublic when its registry is
//     on the public-registry list (DefaultPublicRegistries, which the config
//     extends or replaces), OutcomeNoRule otherwise: what still pulls from
//     the internet is told apart from an internal image.
//   - A Withholding Rewriter computes the same rewrites and applies none,
//     giving them its outcome instead (OutcomeAudit, OutcomeProxyUnhealthy,
//     OutcomeNoPullSecret),
//     so audit shows exactly what enforce would do.
//   - RewritePrefix applies the same rules to a registry prefix (Istio's hub,
//     Calico's spec.registry) and Text to the explicit references inside
//     free text; neither guesses at an implicit Docker Hub name.
//   - Every decision carries one Outcome from a closed set, used alike in logs,
//     metrics, warnings and --explain.
//
// New refuses Rules with a malformed mirror, glob or selector, or whose
// mirrors conflict (a target matched by a source: rewriting would loop; two
// scoped mirrors for one source whose namespaces globs can match one
// name, GlobsOverlap); package
// config reports the same problems at load with the file, field path and value.
package rewrite
