package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// podsTimeout bounds how long the controllers may take to create Pods.
const podsTimeout = 60 * time.Second

// TestClusterRunsWorkloads is the smoke test of the contract the e2e suites rely on:
// Deployments and DaemonSets really become admitted Pods, the subresource the webhook
// handles is served, and a new user is subject to RBAC.
func TestClusterRunsWorkloads(t *testing.T) {
	began := time.Now()
	c := StartForTest(t, Options{ControllerManager: true})
	t.Logf("control plane with controller manager started in %s", time.Since(began).Round(time.Millisecond))

	ctx := t.Context()
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "smoke"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	t.Run("ephemeral containers served", func(t *testing.T) {
		dc, err := discovery.NewDiscoveryClientForConfig(c.Config())
		if err != nil {
			t.Fatal(err)
		}
		list, err := dc.ServerResourcesForGroupVersion("v1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "pods/ephemeralcontainers" }) {
			t.Error("the API server does not serve pods/ephemeralcontainers")
		}
	})

	t.Run("new user is denied by RBAC", func(t *testing.T) {
		user, err := c.NewUser("e2e-nobody")
		if err != nil {
			t.Fatal(err)
		}
		nobody, err := client.New(user.Config, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = nobody.List(ctx, &corev1.PodList{}, client.InNamespace(ns.Name))
		if !apierrors.IsForbidden(err) {
			t.Errorf("listing pods as a user without roles: err = %v, want Forbidden", err)
		}
	})

	t.Run("deployment creates a pod", func(t *testing.T) {
		if err := k8s.Create(ctx, deployment(ns.Name, "web")); err != nil {
			t.Fatal(err)
		}
		waitForPods(ctx, t, k8s, ns.Name, "web", 1)
	})

	t.Run("daemonset creates a pod per node", func(t *testing.T) {
		if _, err := c.CreateNodes(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(ctx, daemonSet(ns.Name, "agent")); err != nil {
			t.Fatal(err)
		}
		waitForPods(ctx, t, k8s, ns.Name, "agent", 2)
	})
}

// waitForPods waits until exactly want Pods labelled app=app exist in ns.
func waitForPods(ctx context.Context, t *testing.T, k8s client.Client, ns, app string, want int) {
	t.Helper()
	began := time.Now()
	var pods corev1.PodList
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, podsTimeout, true, func(ctx context.Context) (bool, error) {
		err := k8s.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app": app})
		return err == nil && len(pods.Items) == want, err
	})
	if err != nil {
		t.Fatalf("waiting for %d pods of %s/%s (have %d): %v", want, ns, app, len(pods.Items), err)
	}
	t.Logf("%d pods of %s/%s after %s", want, ns, app, time.Since(began).Round(time.Millisecond))
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  app,
			Image: "nginx:1.27",
		}}},
	}
}

func deployment(ns, app string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: podTemplate(app),
		},
	}
}

func daemonSet(ns, app string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: podTemplate(app),
		},
	}
}
