package migrate

import (
	"reflect"
	"testing"
)

// TestManagerOf labels and annotates objects as each tool does and checks
// which one is named, and the unit whose source must change.
func TestManagerOf(t *testing.T) {
	t.Parallel()
	helmRelease := map[string]string{"meta.helm.sh/release-name": "cache", "meta.helm.sh/release-namespace": "shop"}
	tests := []struct {
		name          string
		kind          string
		labels        map[string]string
		annotations   map[string]string
		instanceLabel string
		want          *Manager
	}{
		{name: "nothing", want: nil},
		// helm install/upgrade writes the label and both annotations on every object.
		{name: "helm release", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "cache"},
			annotations: helmRelease, instanceLabel: DefaultArgoCDInstanceLabel,
			want: &Manager{Tool: ToolHelm, Kind: "release", Namespace: "shop", Name: "cache"}},
		// A chart's own label, rendered by another tool: the release is unknown.
		{name: "helm label alone", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			want: &Manager{Tool: ToolHelm, Kind: "release"}},
		// Other managers write the same label with their own value.
		{name: "managed-by another tool", labels: map[string]string{"app.kubernetes.io/managed-by": "kustomize"}, want: nil},
		// Argo CD 3.0's default tracking; an Application outside Argo CD's
		// namespace is <namespace>_<name>.
		{name: "argo tracking id", annotations: map[string]string{"argocd.argoproj.io/tracking-id": "team-a_web:apps/Deployment:shop/web"},
			want: &Manager{Tool: ToolArgoCD, Kind: "Application", Name: "team-a_web"}},
		{name: "argo sync options alone", annotations: map[string]string{"argocd.argoproj.io/sync-options": "Prune=false"},
			want: &Manager{Tool: ToolArgoCD, Kind: "Application"}},
		// Label tracking (the default before Argo CD 3.0).
		{name: "argo instance label", labels: map[string]string{"app.kubernetes.io/instance": "web"}, instanceLabel: DefaultArgoCDInstanceLabel,
			want: &Manager{Tool: ToolArgoCD, Kind: "Application", Name: "web"}},
		{name: "argo custom instance label", labels: map[string]string{"argocd.argoproj.io/instance": "web", "app.kubernetes.io/instance": "other"},
			instanceLabel: "argocd.argoproj.io/instance", want: &Manager{Tool: ToolArgoCD, Kind: "Application", Name: "web"}},
		// --argocd-instance-label= : label tracking is not recognised.
		{name: "instance label not recognised", labels: map[string]string{"app.kubernetes.io/instance": "web"}, want: nil},
		// Argo CD renders the chart with helm template: its labels come
		// along, Helm's release annotations do not. Argo CD's sync reverts.
		{name: "argo renders a chart", kind: "Deployment",
			labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "ingress-nginx-4.11.2", "app.kubernetes.io/instance": "edge"},
			annotations: map[string]string{"argocd.argoproj.io/tracking-id": "edge:apps/Deployment:ingress/edge-controller"}, instanceLabel: DefaultArgoCDInstanceLabel,
			want: &Manager{Tool: ToolArgoCD, Kind: "Application", Name: "edge", Chart: "ingress-nginx", Values: []string{"controller.image.registry"}}},
		{name: "flux kustomization", labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
			want: &Manager{Tool: ToolFlux, Kind: "Kustomization", Namespace: "flux-system", Name: "apps"}},
		// helm-controller installs a Helm release: its HelmRelease holds the values.
		{name: "flux helm release", kind: "ConfigMap",
			labels: map[string]string{"helm.toolkit.fluxcd.io/name": "istiod", "helm.toolkit.fluxcd.io/namespace": "flux-system",
				"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "istiod", "helm.sh/chart": "istiod-1.24.0"},
			annotations: map[string]string{"meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system"}, instanceLabel: DefaultArgoCDInstanceLabel,
			want: &Manager{Tool: ToolFlux, Kind: "HelmRelease", Namespace: "flux-system", Name: "istiod", Chart: "istiod", Values: []string{"global.hub"}}},
		// Istio's injector ConfigMap before 1.24 names no chart: its
		// component label does.
		{name: "istio injector of a helm release", kind: "ConfigMap",
			labels: map[string]string{"app.kubernetes.io/managed-by": "Helm", "operator.istio.io/component": "Pilot", "istio.io/rev": "default"}, annotations: helmRelease,
			want: &Manager{Tool: ToolHelm, Kind: "release", Namespace: "shop", Name: "cache", Chart: "istiod", Values: []string{"global.hub"}}},
		// A known chart's path for another kind of object.
		{name: "known chart, another kind", kind: "Installation", labels: map[string]string{"helm.sh/chart": "tigera-operator-v3.28.0"}, annotations: helmRelease,
			want: &Manager{Tool: ToolHelm, Kind: "release", Namespace: "shop", Name: "cache", Chart: "tigera-operator", Values: []string{"installation.registry"}}},
		{name: "unknown chart", kind: "Deployment", labels: map[string]string{"helm.sh/chart": "redis-19.6.4"}, annotations: helmRelease,
			want: &Manager{Tool: ToolHelm, Kind: "release", Namespace: "shop", Name: "cache", Chart: "redis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := managerOf(tt.kind, tt.labels, tt.annotations, tt.instanceLabel); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("managerOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChartName(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]string{
		"istiod-1.24.0":           "istiod",
		"tigera-operator-v3.28.0": "tigera-operator",
		"ingress-nginx-4.11.2":    "ingress-nginx",
		"cert-manager-v1.15.1":    "cert-manager",
		"my-chart-0.1.0-rc.1":     "my-chart",
		"nameonly":                "nameonly",
		"web-v":                   "web-v", // no digit after the v: not a version
	} {
		if got := chartName(label); got != want {
			t.Errorf("chartName(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestImageName(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"nginx":                             "nginx",
		"nginx:1.27":                        "nginx",
		"docker.io/bitnami/redis:7.2":       "docker.io/bitnami/redis",
		"localhost:5000/app":                "localhost:5000/app", // a port, not a tag
		"localhost:5000/app:2":              "localhost:5000/app",
		"ghcr.io/acme/app@sha256:0123abcd":  "ghcr.io/acme/app",
		"ghcr.io/acme/app:1@sha256:0123abc": "ghcr.io/acme/app",
	} {
		if got := imageName(ref); got != want {
			t.Errorf("imageName(%q) = %q, want %q", ref, got, want)
		}
	}
}
