package migrate

import (
	"strings"
)

// The tools whose sync would put an old image back. An object one of them
// manages is planned with StatusGitOpsManaged (unless
// Options.IncludeManaged): its image must change in the tool's source of
// truth (a Git repository, a chart's values), or the next sync reverts the
// patch, at the cost of a second rollout.
const (
	ToolArgoCD = "Argo CD"
	ToolFlux   = "Flux"
	ToolHelm   = "Helm"
)

// What each tool calls the unit its objects are grouped in: --emit writes
// one directory per unit.
const (
	unitApplication   = "Application"   // Argo CD
	unitKustomization = "Kustomization" // Flux kustomize-controller
	unitHelmRelease   = "HelmRelease"   // Flux helm-controller
	unitRelease       = "release"       // Helm
)

// DefaultArgoCDInstanceLabel is the label Argo CD's label tracking writes
// (the default before Argo CD 3.0, and its application.instanceLabelKey
// unless that is changed).
const DefaultArgoCDInstanceLabel = "app.kubernetes.io/instance"

// Labels and annotations by which each tool marks what it manages.
const (
	// Argo CD's annotation tracking (the default since Argo CD 3.0):
	// <app-name>:<group>/<kind>:<namespace>/<name>.
	annotationArgoTrackingID = "argocd.argoproj.io/tracking-id"
	// Every other argocd.argoproj.io/ annotation (sync-options,
	// compare-options, sync-wave, hook) is written in Git for Argo CD to
	// read, so it marks an object Argo CD syncs too.
	argoAnnotationPrefix = "argocd.argoproj.io/"
	// Flux's kustomize-controller and helm-controller label every object
	// they apply with the name and namespace of their Kustomization or
	// HelmRelease.
	labelFluxKustomization          = "kustomize.toolkit.fluxcd.io/name"
	labelFluxKustomizationNamespace = "kustomize.toolkit.fluxcd.io/namespace"
	labelFluxHelmRelease            = "helm.toolkit.fluxcd.io/name"
	labelFluxHelmReleaseNamespace   = "helm.toolkit.fluxcd.io/namespace"
	// Helm (helm install/upgrade, and Flux's helm-controller through the
	// Helm library) labels and annotates every object of a release; a
	// chart's own templates commonly add the managed-by label and
	// helm.sh/chart, which `helm template` (Argo CD) renders too.
	labelManagedBy             = "app.kubernetes.io/managed-by"
	managedByHelm              = "Helm"
	annotationHelmRelease      = "meta.helm.sh/release-name"
	annotationHelmReleaseNS    = "meta.helm.sh/release-namespace"
	labelHelmChart             = "helm.sh/chart"
	labelIstioComponent        = "operator.istio.io/component"
	istioComponentChartDefault = "istiod"
)

// Manager is the GitOps or release tool that manages an object, and the
// unit of it whose source must change: an Argo CD Application, a Flux
// Kustomization or HelmRelease, a Helm release.
type Manager struct {
	// Tool is ToolArgoCD, ToolFlux or ToolHelm.
	Tool string `json:"tool"`
	// Kind is the unit: Application, Kustomization, HelmRelease or release.
	Kind string `json:"kind"`
	// Namespace of the unit, when the labels name it.
	Namespace string `json:"namespace,omitempty"`
	// Name of the unit; empty when only an argocd.argoproj.io annotation
	// other than the tracking id marks the object.
	Name string `json:"name,omitempty"`
	// Chart is the Helm chart the object was rendered from, when its labels
	// say (helm.sh/chart, without the version).
	Chart string `json:"chart,omitempty"`
	// Values are the chart's values paths that hold this object's images,
	// when the chart is in pullthrough's table of known charts.
	Values []string `json:"values,omitempty"`
}

// String names the manager in a report's MANAGED-BY column, e.g. "Helm
// release shop/cache" or "Argo CD Application istio".
func (m *Manager) String() string {
	s := m.Tool + " " + m.Kind
	if m.Name != "" {
		s += " " + m.unit()
	}
	return s
}

// unit is namespace/name, or name.
func (m *Manager) unit() string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// managerOf recognises the tool that manages an object of the given kind
// from its labels and annotations, or returns nil. instanceLabel is the
// label Argo CD's label tracking writes ("" when not recognised).
//
// One tool is named, the one whose sync would revert a patch, in this
// order: Argo CD, which renders Helm charts itself (`helm template`: the
// chart's managed-by: Helm label comes along, Helm's release annotations do
// not); then Flux's helm-controller, whose HelmRelease holds the values of
// the Helm release it installs, then its kustomize-controller; then Helm.
func managerOf(kind string, labels, annotations map[string]string, instanceLabel string) *Manager {
	var m *Manager
	switch {
	case argoManaged(labels, annotations, instanceLabel):
		m = &Manager{Tool: ToolArgoCD, Kind: unitApplication, Name: argoApplication(labels, annotations, instanceLabel)}
	case labels[labelFluxHelmRelease] != "":
		m = &Manager{Tool: ToolFlux, Kind: unitHelmRelease, Namespace: labels[labelFluxHelmReleaseNamespace], Name: labels[labelFluxHelmRelease]}
	case labels[labelFluxKustomization] != "":
		m = &Manager{Tool: ToolFlux, Kind: unitKustomization, Namespace: labels[labelFluxKustomizationNamespace], Name: labels[labelFluxKustomization]}
	case annotations[annotationHelmRelease] != "" || labels[labelManagedBy] == managedByHelm:
		m = &Manager{Tool: ToolHelm, Kind: unitRelease, Namespace: annotations[annotationHelmReleaseNS], Name: annotations[annotationHelmRelease]}
	default:
		return nil
	}
	if m.Chart = chartOf(labels); m.Chart != "" {
		m.Values = knownCharts.paths(m.Chart, kind)
	}
	return m
}

// argoManaged: the tracking id, or any other argocd.argoproj.io/ annotation;
// or, under label tracking, the instance label on an object that no Helm
// release installed. Helm charts write the same label (the release name),
// so it counts only where Helm's own release annotations are absent; Argo
// CD's `helm template` never writes them.
func argoManaged(labels, annotations map[string]string, instanceLabel string) bool {
	for k := range annotations {
		if strings.HasPrefix(k, argoAnnotationPrefix) {
			return true
		}
	}
	return instanceLabel != "" && labels[instanceLabel] != "" && annotations[annotationHelmRelease] == "" &&
		labels[labelFluxHelmRelease] == "" && labels[labelFluxKustomization] == ""
}

// argoApplication is the Application's name: the tracking id's first field
// (<app-name>:<group>/<kind>:<namespace>/<name>; an Application outside
// Argo CD's namespace reads <namespace>_<name>), else the instance label.
func argoApplication(labels, annotations map[string]string, instanceLabel string) string {
	if id := annotations[annotationArgoTrackingID]; id != "" {
		app, _, _ := strings.Cut(id, ":")
		return app
	}
	if instanceLabel == "" {
		return ""
	}
	return labels[instanceLabel]
}

// chartOf is the chart an object was rendered from: helm.sh/chart
// (<name>-<version>) without its version, or Istio's when the object
// carries Istio's component label (its charts before 1.24 set no
// helm.sh/chart on the injector's ConfigMap).
func chartOf(labels map[string]string) string {
	if c := labels[labelHelmChart]; c != "" {
		return chartName(c)
	}
	if labels[labelIstioComponent] != "" {
		return istioComponentChartDefault
	}
	return ""
}

// chartName drops the version from a helm.sh/chart label: the last "-"
// followed by a digit, or by "v" and a digit, starts it.
func chartName(label string) string {
	for i := len(label) - 1; i > 0; i-- {
		if label[i] != '-' {
			continue
		}
		rest := strings.TrimPrefix(label[i+1:], "v")
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return label[:i]
		}
	}
	return label
}
