package migrate

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
)

// managedItem is a decided Deployment of one container with manager m,
// rewritten from old to new.
func managedItem(t *testing.T, m *Manager, name, old, new string, labels map[string]any) *item {
	t.Helper()
	const path = "/spec/template/spec/containers/0/image"
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "shop", "uid": "u-1", "resourceVersion": "7"},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": old}}}}},
		"status":   map[string]any{"replicas": int64(1)},
	}}
	if labels != nil {
		u.Object["metadata"].(map[string]any)["labels"] = labels
	}
	return &item{
		row: Object{Kind: "Deployment", Namespace: "shop", Name: name, Manager: m,
			Rows: []Row{{Field: "app", Path: path, Old: old, New: new, Outcome: rewrite.OutcomeRewritten}}},
		edits:  []edit{{path: path, old: old, new: new}},
		source: u,
	}
}

// TestSourceChanges checks the files --emit writes for small sets of
// decided objects: which files, and the lines that matter in each.
func TestSourceChanges(t *testing.T) {
	t.Parallel()
	istio := &Manager{Tool: ToolHelm, Kind: unitRelease, Namespace: "istio-system", Name: "istiod", Chart: "istiod"}
	redis := &Manager{Tool: ToolHelm, Kind: unitRelease, Namespace: "shop", Name: "cache", Chart: "redis"}
	argo := &Manager{Tool: ToolArgoCD, Kind: unitApplication, Name: "web"}
	tests := []struct {
		name  string
		items func(t *testing.T) []*item
		want  map[string][]string // file -> lines it must hold
	}{{
		name: "an unmanaged object writes nothing",
		items: func(t *testing.T) []*item {
			return []*item{managedItem(t, nil, "plain", "nginx:1.25", "proxy.example.internal/dockerhub/library/nginx:1.25", nil)}
		},
		want: map[string][]string{},
	}, {
		name: "a known chart's path, from an image",
		items: func(t *testing.T) []*item {
			return []*item{managedItem(t, istio, "istiod", "docker.io/istio/pilot:1.22.0", "proxy.example.internal/dockerhub/istio/pilot:1.22.0", nil)}
		},
		want: map[string][]string{"helm/istio-system/istiod/values.yaml": {
			"#   global.hub: docker.io/istio -> proxy.example.internal/dockerhub/istio, for",
			"#     Deployment shop/istiod app", "global:", "  hub: proxy.example.internal/dockerhub/istio",
		}},
	}, {
		// Two hubs for one path: no value is right for both.
		name: "a path with two values is left out",
		items: func(t *testing.T) []*item {
			return []*item{
				managedItem(t, istio, "istiod", "docker.io/istio/pilot:1.22.0", "proxy.example.internal/dockerhub/istio/pilot:1.22.0", nil),
				managedItem(t, istio, "gateway", "quay.io/istio/proxyv2:1.22.0", "proxy.example.internal/quay/istio/proxyv2:1.22.0", nil),
			}
		},
		want: map[string][]string{"helm/istio-system/istiod/values.yaml": {
			"#   global.hub is left out: its images give it more than one value; set it by hand",
		}},
	}, {
		name: "an unknown chart lists its images and where to look",
		items: func(t *testing.T) []*item {
			it := managedItem(t, redis, "cache", "docker.io/bitnami/redis:7.2", "proxy.example.internal/dockerhub/bitnami/redis:7.2", nil)
			it.source.SetAnnotations(map[string]string{"meta.helm.sh/release-name": "cache", "meta.helm.sh/release-namespace": "shop"})
			return []*item{it}
		},
		want: map[string][]string{"helm/shop/cache/values.yaml": {
			"# image (helm get values cache -n shop --all) to the new value:",
			"#   Deployment shop/cache app: docker.io/bitnami/redis:7.2 -> proxy.example.internal/dockerhub/bitnami/redis:7.2",
		}},
	}, {
		// An Argo CD Application of plain manifests: images: entries by
		// name as written, and the manifests less what the server wrote.
		name: "a git directory gets images: entries and manifests",
		items: func(t *testing.T) []*item {
			return []*item{
				managedItem(t, argo, "web", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", nil),
				managedItem(t, argo, "web-canary", "nginx:1.28", "proxy.example.internal/dockerhub/library/nginx:1.28", nil),
			}
		},
		want: map[string][]string{
			"argocd/web/kustomization.yaml": {"- name: nginx", "  newName: proxy.example.internal/dockerhub/library/nginx"},
			"argocd/web/manifests.yaml":     {"      - image: proxy.example.internal/dockerhub/library/nginx:1.27", "  name: web-canary", "---"},
		},
	}, {
		// One name routed to two places (an image exclusion by tag): one
		// images: entry cannot say it.
		name: "a name with two new names is left out",
		items: func(t *testing.T) []*item {
			return []*item{
				managedItem(t, argo, "a", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", nil),
				managedItem(t, argo, "b", "nginx:1.28", "mirror.example/nginx:1.28", nil),
			}
		},
		want: map[string][]string{
			"argocd/web/kustomization.yaml": {"# nginx is left out: its tags go to different names (mirror.example/nginx, proxy.example.internal/dockerhub/library/nginx); change it in the manifests", "images: []"},
			"argocd/web/manifests.yaml":     {"      - image: mirror.example/nginx:1.28"},
		},
	}, {
		// Argo CD renders a chart: the chart's values, in the Application's directory.
		name: "an argo application of a chart",
		items: func(t *testing.T) []*item {
			m := &Manager{Tool: ToolArgoCD, Kind: unitApplication, Name: "edge", Chart: "ingress-nginx"}
			return []*item{managedItem(t, m, "edge", "registry.k8s.io/ingress-nginx/controller:v1.11.2", "proxy.example.internal/k8s/ingress-nginx/controller:v1.11.2",
				map[string]any{"helm.sh/chart": "ingress-nginx-4.11.2"})}
		},
		want: map[string][]string{"argocd/edge/values.yaml": {"# Merge into the Application's spec.source.helm.valuesObject (or its values files).", "    registry: proxy.example.internal/k8s"}},
	}, {
		// A tracking id is free text: it must not lead out of DIR.
		name: "an application name that is a path",
		items: func(t *testing.T) []*item {
			m := &Manager{Tool: ToolArgoCD, Kind: unitApplication, Name: "../../etc"}
			return []*item{managedItem(t, m, "x", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", nil)}
		},
		want: map[string][]string{"argocd/.._.._etc/kustomization.yaml": {"- name: nginx"}, "argocd/.._.._etc/manifests.yaml": {"  name: x"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := sourceChanges(tt.items(t))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(tt.want)); !slices.Equal(got, want) {
				t.Fatalf("files %q, want %q", got, want)
			}
			for name, lines := range tt.want {
				have := strings.Split(string(files[name]), "\n")
				for _, l := range lines {
					if !slices.Contains(have, l) {
						t.Errorf("%s lacks the line %q:\n%s", name, l, files[name])
					}
				}
				for _, leak := range []string{"uid:", "resourceVersion:", "status:"} {
					if strings.Contains(string(files[name]), leak) {
						t.Errorf("%s holds %s, which the server wrote:\n%s", name, leak, files[name])
					}
				}
			}
		})
	}
}

func TestPathSegment(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"web": "web", "team-a_web": "team-a_web", "": "_", ".": "_.", "..": "_..", "a/b": "a_b", "../x": ".._x", "ns:app": "ns_app",
	} {
		if got := pathSegment(in); got != want {
			t.Errorf("pathSegment(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGitOpsDocMatchesCode holds docs/gitops.md to the code: the field
// manager its Argo CD option names is the one every patch carries, and its
// table of known charts lists every chart and values path of knownCharts.
func TestGitOpsDocMatchesCode(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/gitops.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if want := "managedFieldsManagers: [" + fieldManager + "]"; !strings.Contains(doc, want) {
		t.Errorf("docs/gitops.md lacks %q", want)
	}
	for chart, values := range knownCharts {
		if !strings.Contains(doc, "`"+chart+"`") {
			t.Errorf("docs/gitops.md does not list chart %s", chart)
		}
		for _, v := range values {
			if !strings.Contains(doc, "`"+v.path+"`") {
				t.Errorf("docs/gitops.md does not list %s's values path %s", chart, v.path)
			}
		}
	}
}
