package policy

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/wellknown"
)

// names lists the objects of every kind Apply manages, as "resource/name".
func names(t *testing.T, dyn dynamic.Interface) []string {
	t.Helper()
	var out []string
	for _, r := range resources {
		list, err := dyn.Resource(r).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", r.Resource, err)
		}
		for _, o := range list.Items {
			out = append(out, r.Resource+"/"+o.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// setNames is what names must return once set is in force.
func setNames(set *Set) []string {
	var out []string
	for i, objs := range set.objects() {
		for _, o := range objs {
			out = append(out, resources[i].Resource+"/"+o.(metav1.Object).GetName())
		}
	}
	slices.Sort(out)
	return out
}

// TestApplyOnAPIServer puts generated sets in force on a real kube-apiserver
// through the Applier: the policies follow each new config (the audit
// mode's set prunes the rewrite), a deleted binding is repaired, and
// deleting the owner ClusterRole makes the garbage collector delete them.
func TestApplyOnAPIServer(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{ControllerManager: true})
	if !c.ServesAdmissionPolicies(t) {
		return
	}
	dyn, err := dynamic.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	owner, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "pullthrough-policy"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	enforce, err := config.Parse([]byte(testConfigs["paths"]))
	if err != nil {
		t.Fatal(err)
	}
	audit := *enforce
	audit.Mode = config.ModeAudit
	opts := Options{Guard: GuardWarn}
	var current atomicConfig
	current.set(enforce)
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	a := &Applier{
		Client: dyn, Config: current.get, Options: opts,
		Owner: func(context.Context) (*metav1.OwnerReference, error) {
			return &metav1.OwnerReference{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: owner.Name, UID: owner.UID}, nil
		},
		Resync: 2 * time.Second, RetryAfter: time.Second, Metrics: m, Log: testr.New(t),
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- a.Start(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	converges := func(what string, want []string) {
		t.Helper()
		var got []string
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			got = names(t, dyn)
			return slices.Equal(got, want), nil
		})
		if err != nil {
			t.Fatalf("%s: objects on the API server\n%v\nwant\n%v", what, got, want)
		}
	}

	enforceSet, err := Generate(enforce, opts)
	if err != nil {
		t.Fatal(err)
	}
	converges("enforce", setNames(enforceSet))
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return a.Ready(nil) == nil, nil
	}); err != nil {
		t.Fatalf("never ready after the policies were applied: %v", err)
	}
	rewrite, err := dyn.Resource(resources[0]).Get(ctx, NameRewrite, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if refs := rewrite.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != owner.UID {
		t.Errorf("owner references %+v, want the ClusterRole %s", refs, owner.UID)
	}
	if rewrite.GetLabels()["app.kubernetes.io/managed-by"] != FieldManager {
		t.Errorf("labels %v: want managed-by %s", rewrite.GetLabels(), FieldManager)
	}

	binding := enforceSet.MutatingBindings[0].Name
	if err := dyn.Resource(resources[1]).Delete(ctx, binding, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	converges("after deleting binding "+binding+" by hand (resync)", setNames(enforceSet))

	current.set(&audit)
	auditSet, err := Generate(&audit, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(auditSet.Mutating) != 0 {
		t.Fatalf("audit mode generated %d mutating policies", len(auditSet.Mutating))
	}
	converges("switched to audit mode", setNames(auditSet))
	if got := testutil.ToFloat64(m.lastOK); got != 1 {
		t.Errorf("%s = %v, want 1", wellknown.MetricPolicyLastApplyOK, got)
	}
	if got := testutil.ToFloat64(m.applies.WithLabelValues("error")); got != 0 {
		t.Errorf("%d applies failed", int(got))
	}

	stop()
	if err := cs.RbacV1().ClusterRoles().Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	converges("owner ClusterRole deleted (garbage collector)", nil)
}

// atomicConfig is the config in force, swapped by the test while the
// Applier reads it.
type atomicConfig struct{ p atomic.Pointer[config.Config] }

func (c *atomicConfig) get() *config.Config    { return c.p.Load() }
func (c *atomicConfig) set(cfg *config.Config) { c.p.Store(cfg) }
