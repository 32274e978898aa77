package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// workloads: pods that controllers create go through admission like any
// other, while the templates stay as written (the migrator's job).
func workloads(t *testing.T, e *env) {
	cs := e.client(t, nil)
	ctx := t.Context()
	if _, err := e.cluster.CreateNodes(ctx, 2); err != nil {
		t.Fatal(err)
	}
	createDaemonSet(t, cs, "workloads", "calico-node", "quay.io/calico/node:v3.28.0")
	createDeployment(t, cs, "workloads", "web", "registry.k8s.io/e2e-test-images/agnhost:2.52", 2)
	waitPods(t, cs, "workloads", "app=calico-node", 2, quay+"calico/node:v3.28.0")
	waitPods(t, cs, "workloads", "app=web", 2, k8sIO+"e2e-test-images/agnhost:2.52")
	gotDS, err := cs.AppsV1().DaemonSets("workloads").Get(ctx, "calico-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gotDep, err := cs.AppsV1().Deployments("workloads").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotDS.Spec.Template.Spec.Containers[0].Image != "quay.io/calico/node:v3.28.0" ||
		gotDep.Spec.Template.Spec.Containers[0].Image != "registry.k8s.io/e2e-test-images/agnhost:2.52" {
		t.Error("templates must stay as written; only pods are rewritten")
	}
}

// waitPods waits for n pods matching selector, every one with image.
func waitPods(t *testing.T, cs kubernetes.Interface, ns, selector string, n int, image string) {
	t.Helper()
	var last []string
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		last = last[:0]
		for _, p := range pods.Items {
			last = append(last, p.Spec.Containers[0].Image)
		}
		return len(pods.Items) == n, nil
	})
	if err != nil {
		// The controllers explain a missing pod in events (FailedCreate...).
		if events, lerr := cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{}); lerr == nil {
			for _, ev := range events.Items {
				t.Logf("event %s/%s: %s: %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
			}
		}
		t.Fatalf("%s pods %s: %v (have %v)", ns, selector, err, last)
	}
	for _, im := range last {
		if im != image {
			t.Errorf("%s pod image %q, want %q", selector, im, image)
		}
	}
}
