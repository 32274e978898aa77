// Package podspec is where pods keep their images: the built-in kinds that
// carry a pod spec and its path in each (Kinds), the places of a PodSpec
// that name an image the kubelet pulls (Locations), and the decision for
// each of those images made with a rewrite.Rewriter (Decide, Skipped).
//
// The contract: every image the kubelet pulls is walked, through this one
// walk, in Locations order: initContainers (native sidecars), containers,
// ephemeralContainers (kubectl debug) and image volumes
// (spec.volumes[].image.reference). A volume that is not an image volume is
// not an image; an image volume with no reference is one, with an empty
// image, so that callers report it rather than miss it. Decide never
// changes the spec. Every caller (the webhook, the migrator, manifests,
// verify) reaches a new image-bearing field through one new Locations entry.
package podspec
