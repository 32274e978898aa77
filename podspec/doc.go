// Package podspec is where pods keep their images: the built-in kinds that
// carry a pod spec and its path in each (Kinds), the container lists of a
// PodSpec, and the decision for each container's image made with a
// rewrite.Rewriter (Decide, Skipped, Images, Apply).
//
// The contract: every container list pulls images, so initContainers
// (native sidecars), containers and ephemeralContainers (kubectl debug) are
// all walked, in that order; Decide never changes the spec, and Apply sets
// only the images whose outcome is rewritten.
package podspec
