// Package podspec is where pods keep their images: the built-in kinds that
// carry a pod spec and its path in each (Kinds), the places of a PodSpec
// that name an image the kubelet pulls (Locations), and the decision for
// each of those images made with a rewrite.Rewriter (Decide, Skipped, and
// DecidePod for a whole pod).
//
// The contract:
//   - Every image the kubelet pulls is walked, through this one walk, in
//     Locations order: initContainers (native sidecars), containers,
//     ephemeralContainers (kubectl debug) and image volumes
//     (spec.volumes[].image.reference). A volume that is not an image volume
//     is not an image; an image volume with no reference is one, with an
//     empty image, so that callers report it rather than miss it.
//   - DecidePod is the one pod-level decision (OptedOut: the skip label or a
//     mirror pod; then an excluded namespace; then each image), shared by
//     the webhook, `pullthrough report` and the pod-images gauge.
//   - Decide and DecidePod never change the spec; the package holds no
//     client and reads no object but the one it is given.
//   - Every caller (the webhook, the policy engine, the migrator, manifests,
//     report, verify, the gauge) reaches a new image-bearing field through
//     one new Locations entry, and a new kind through one new Kinds entry.
package podspec
