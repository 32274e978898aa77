package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pullthrough/pullthrough/e2e/kit"
)

// TestTenants: on the real API server, pods in namespaces that scoped
// mirrors select by name and by label get their tenant's target; a
// namespace created and labelled a moment before its first pod is routed
// by its labels (the informer, or the GET behind it); a relabelled
// namespace moves to the other tenant once the informer has seen it.
func TestTenants(t *testing.T) {
	e := startEnvConfig(t, false, "testdata/config-tenants.yaml")
	cs := e.client(t, nil)
	image := func(ns string) string {
		t.Helper()
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "p-"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}
		got, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatal(err)
		}
		return got.Spec.Containers[0].Image
	}
	const (
		shared = "proxy.example.internal/dockerhub/library/nginx:1.27"
		teamA  = "proxy.example.internal/team-a/library/nginx:1.27"
		b      = "proxy.example.internal/tenant-b/library/nginx:1.27"
	)
	kit.Namespace(t, cs, "team-a-dev", nil)
	kit.Namespace(t, cs, "payments", map[string]string{"tenant": "b"})
	kit.Namespace(t, cs, "shop", map[string]string{"tenant": "c"})
	for ns, want := range map[string]string{"team-a-dev": teamA, "payments": b, "shop": shared, "default": shared} {
		if got := image(ns); got != want {
			t.Errorf("%s: image %q, want %q", ns, got, want)
		}
	}
	t.Run("relabelled namespace follows its labels", func(t *testing.T) {
		nsObj, err := cs.CoreV1().Namespaces().Get(t.Context(), "shop", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nsObj.Labels["tenant"] = "b"
		if _, err := cs.CoreV1().Namespaces().Update(t.Context(), nsObj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
			return image("shop") == b, nil
		})
		if err != nil {
			t.Errorf("shop relabelled tenant=b still gets %q", image("shop"))
		}
	})
	if n := e.metric(t, "pullthrough_admission_internal_errors_total", "", ""); n != 0 {
		t.Errorf("%v internal errors, want none (every namespace's labels read)", n)
	}
}
