package migrate

import (
	"slices"
	"testing"
)

func TestManagedBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        []string
	}{
		{name: "nothing", want: nil},
		{name: "helm label", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}, want: []string{ManagerHelm}},
		{name: "helm release annotation", annotations: map[string]string{"meta.helm.sh/release-name": "web"}, want: []string{ManagerHelm}},
		// Other managers write the same label with their own value.
		{name: "managed-by another tool", labels: map[string]string{"app.kubernetes.io/managed-by": "kustomize"}, want: nil},
		{name: "argo tracking id", labels: map[string]string{"app.kubernetes.io/instance": "web"},
			annotations: map[string]string{"argocd.argoproj.io/tracking-id": "web:apps/Deployment:shop/web"}, want: []string{ManagerArgoCD}},
		{name: "argo sync options", annotations: map[string]string{"argocd.argoproj.io/sync-options": "Prune=false"}, want: []string{ManagerArgoCD}},
		// Helm charts set the instance label too: alone it proves nothing.
		{name: "instance label alone", labels: map[string]string{"app.kubernetes.io/instance": "web"}, want: nil},
		{name: "flux kustomization", labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps"}, want: []string{ManagerFlux}},
		// Flux's helm-controller installs a Helm release: both must change.
		{name: "flux helm release", labels: map[string]string{"helm.toolkit.fluxcd.io/name": "redis", "app.kubernetes.io/managed-by": "Helm"},
			want: []string{ManagerHelm, ManagerFlux}},
		{name: "argo renders a chart", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			annotations: map[string]string{"argocd.argoproj.io/tracking-id": "x"}, want: []string{ManagerHelm, ManagerArgoCD}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ManagedBy(tt.labels, tt.annotations); !slices.Equal(got, tt.want) {
				t.Fatalf("ManagedBy = %q, want %q", got, tt.want)
			}
		})
	}
}
