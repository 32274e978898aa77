package deploy

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// podSecurity creates, as a server-side dry run, the pod of every workload in objs
// (the committed manifests: the chart's defaults) in the namespace it names, which
// the manifests label as docs/install.md labels the release namespace
// (pod-security.kubernetes.io/enforce=restricted): the API server's PodSecurity
// admission must admit each. As a control, the node agent's pod is refused in the
// release namespace: that is the install trap behind nodeConfig.namespace's default.
func podSecurity(t *testing.T, k8s client.Client, objs []*unstructured.Unstructured) {
	var pods int
	for _, u := range objs {
		pod, ok := podOf(t, u)
		if !ok {
			continue
		}
		pods++
		if err := k8s.Create(t.Context(), pod, client.DryRunAll); err != nil {
			t.Errorf("%s %s/%s: its pod is refused in namespace %s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), pod.GetNamespace(), err)
		}
		if u.GetKind() != "DaemonSet" {
			continue
		}
		if u.GetNamespace() == releaseNamespace {
			t.Errorf("DaemonSet %s: the node agent runs in the restricted release namespace", u.GetName())
			continue
		}
		pod.SetNamespace(releaseNamespace)
		err := k8s.Create(t.Context(), pod, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
			t.Errorf("the node agent's pod in the restricted %s: %v, want refused by PodSecurity (is the admission plugin on?)", releaseNamespace, err)
		}
	}
	if pods < 3 {
		t.Errorf("%d workloads' pods checked, want the webhook's, the migrator's and the node agent's", pods)
	}
}

// podOf returns the Pod a Deployment, DaemonSet or Job would create, named
// after its owner.
func podOf(t *testing.T, u *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	t.Helper()
	switch u.GetKind() {
	case "Deployment", "DaemonSet", "Job":
	default:
		return nil, false
	}
	spec, found, err := unstructured.NestedMap(u.Object, "spec", "template", "spec")
	if err != nil || !found {
		t.Fatalf("%s %s: no pod template (%v)", u.GetKind(), u.GetName(), err)
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetName(strings.ToLower(fmt.Sprintf("%s-%s", u.GetKind(), u.GetName())))
	pod.SetNamespace(u.GetNamespace())
	return pod, true
}
