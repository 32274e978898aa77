package migrate

import (
	"strings"
)

// The tools whose sync would put an old image back: the migrator flags their
// objects, because the image must change in their source of truth too (a
// chart's values, a Git repository) or the next sync reverts the patch.
const (
	ManagerHelm   = "Helm"
	ManagerArgoCD = "Argo CD"
	ManagerFlux   = "Flux"
)

// Labels and annotations by which each tool marks what it manages.
const (
	labelManagedBy          = "app.kubernetes.io/managed-by"
	annotationHelmRelease   = "meta.helm.sh/release-name"
	argoAnnotationPrefix    = "argocd.argoproj.io/"
	labelFluxKustomization  = "kustomize.toolkit.fluxcd.io/name"
	labelFluxHelmRelease    = "helm.toolkit.fluxcd.io/name"
	managedByHelmLabelValue = "Helm"
)

// ManagedBy names the GitOps and release tools that manage an object, from
// its labels and annotations, in the order Helm, Argo CD, Flux. More than one
// can apply: Flux's helm-controller and Argo CD both render Helm charts, and
// then both sources of truth matter.
func ManagedBy(labels, annotations map[string]string) []string {
	var tools []string
	if labels[labelManagedBy] == managedByHelmLabelValue || annotations[annotationHelmRelease] != "" {
		tools = append(tools, ManagerHelm)
	}
	if argoManaged(annotations) {
		tools = append(tools, ManagerArgoCD)
	}
	if labels[labelFluxKustomization] != "" || labels[labelFluxHelmRelease] != "" {
		tools = append(tools, ManagerFlux)
	}
	return tools
}

// argoManaged: Argo CD's annotation tracking writes
// argocd.argoproj.io/tracking-id (beside the app.kubernetes.io/instance label
// when it tracks by both), and its other annotations (sync-options,
// compare-options, hooks) are only ever set on objects it syncs. The
// instance label alone is not enough: Helm charts set it too.
func argoManaged(annotations map[string]string) bool {
	for k := range annotations {
		if strings.HasPrefix(k, argoAnnotationPrefix) {
			return true
		}
	}
	return false
}
