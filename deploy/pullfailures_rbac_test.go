package deploy

import (
	"context"
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/pullfailures"
)

// TestPullFailuresRBAC renders the chart with metrics.pullFailures, installs
// its ServiceAccount and RBAC on a real API server and runs the failed-pull
// informer as that ServiceAccount: the grant is enough for its list and watch
// of the kubelet's Failed events across the cluster, and no more (no read of
// one event, of Secrets or pods; no write).
func TestPullFailuresRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	objs := renderChart(t, "metrics: {pullFailures: {enabled: true}}\n", "templates/serviceaccount.yaml", "templates/pullfailures-rbac.yaml")
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, ns := range []string{releaseNamespace, "shop"} {
		kit.Namespace(t, admin, ns, nil)
	}
	install(t, c, objs)
	sa := only[*corev1.ServiceAccount](t, objs)
	user := serviceAccountUser(t, c, sa.Namespace, sa.Name)
	cs, err := kubernetes.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	w, err := pullfailures.New(cs, kit.Live(t, "mirrors:\n  - {source: docker.io, target: proxy.internal/hub}\n"), reg, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Start(ctx) }()
	event := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web.1"}, Reason: "Failed", Count: 1,
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web"},
		Message:        `Failed to pull image "proxy.internal/hub/library/web:1": failed to resolve image: unexpected status from HEAD request to https://proxy.internal/v2/hub/library/web/manifests/1: 429 Too Many Requests`}
	// The events of the informer's first list are its baseline, and the test
	// cannot see when that list is done: until a failure is counted, each
	// poll makes the pull fail once more (the kubelet's count goes up), which
	// the informer counts whether it listed the event before or after.
	kit.Eventually(t, "the informer, as the ServiceAccount, to count a failed pull", func(context.Context) error {
		if errs := counted(t, reg, "pullthrough_pull_failures_watch_errors_total"); errs > 0 {
			t.Fatalf("the informer's list or watch was refused (%v errors)", errs)
		}
		if counted(t, reg, "pullthrough_pull_failures_total") > 0 {
			return nil
		}
		got, err := admin.CoreV1().Events("shop").Get(ctx, event.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = admin.CoreV1().Events("shop").Create(ctx, event, metav1.CreateOptions{})
		case err == nil:
			got.Count++
			_, err = admin.CoreV1().Events("shop").Update(ctx, got, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		return errors.New("no failed pull counted")
	})

	for what, err := range map[string]error{
		"get an event":  get(cs.CoreV1().Events("shop").Get(ctx, event.Name, metav1.GetOptions{})),
		"create":        get(cs.CoreV1().Events("shop").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "x"}, InvolvedObject: event.InvolvedObject}, metav1.CreateOptions{})),
		"list secrets":  get(cs.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})),
		"list pods":     get(cs.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})),
		"delete events": cs.CoreV1().Events("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as the ServiceAccount: %v, want forbidden", what, err)
		}
	}
}

// counted sums the counters of family name gathered from reg.
func counted(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// get keeps the error of a call that returns a value too.
func get[T any](_ T, err error) error { return err }
