package migrate

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/wellknown"
)

// TestE2EPermissions runs the migrator as users with no rights but RBAC's:
// the shipped ClusterRole must be enough, and a missing verb must show as a
// failed object (or a failed plan) with the API server's error.
func TestE2EPermissions(t *testing.T) {
	env := startE2E(t)
	seeded := env.seed(t, []*unstructured.Unstructured{
		newNamespace("locked"),
		newDeployment("Deployment", "locked", "web", "nginx:1.27"),
		newDeployment("StatefulSet", "locked", "db", "docker.io/library/postgres:16"),
	}, nil)
	opts := Options{Namespaces: []string{"locked"}, Kinds: []string{"deploy", "sts"}}
	shipped := loadClusterRole(t)

	t.Run("the shipped ClusterRole suffices", func(t *testing.T) {
		user := env.userBoundTo(t, "migrator", shipped)
		before := env.resourceVersions(t, seeded)
		dryRun := opts
		dryRun.ServerDryRun = true
		for _, step := range []struct {
			name string
			opts Options
			undo bool
			want Status
		}{
			{"server dry-run", dryRun, false, StatusDryRun},
			{"apply", opts, false, StatusPatched},
			{"undo", opts, true, StatusPatched},
		} {
			r, err := carryOut(t, env.migrator(t, user, step.opts), step.undo)
			if err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if got := r.Totals.Objects[step.want]; got != 2 || r.Totals.Failed != 0 {
				t.Fatalf("%s: %s; want 2 %s", step.name, countStatusMap(r.Totals.Objects), step.want)
			}
			if step.want == StatusDryRun && !maps.Equal(before, env.resourceVersions(t, seeded)) {
				t.Fatal("a server dry-run wrote objects")
			}
		}
	})

	t.Run("a missing patch verb fails that object, with the API error", func(t *testing.T) {
		limited := withoutPatch(shipped, "statefulsets")
		m := env.migrator(t, env.userBoundTo(t, "limited", limited), opts)
		db := env.fetch(t, seeded["StatefulSet/locked/db"])
		r, err := carryOut(t, m, false)
		if err != nil {
			t.Fatal(err)
		}
		if r.Totals.Objects[StatusPatched] != 1 || r.Totals.Failed != 1 {
			t.Fatalf("%s; want 1 patched, 1 failed", countStatusMap(r.Totals.Objects))
		}
		failed := r.Failed()[0]
		if failed.Kind != "StatefulSet" || !strings.Contains(failed.Error, `cannot patch resource "statefulsets"`) {
			t.Fatalf("failed %s %s with %q; want the StatefulSet, forbidden", failed.Kind, failed.Name, failed.Error)
		}
		var table bytes.Buffer
		if err := WriteTable(&table, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), "failed:\n  StatefulSet locked/db: "+failed.Error+"\n") {
			t.Errorf("the table does not list the failure with its error:\n%s", table.String())
		}
		if now := env.fetch(t, db); now.GetResourceVersion() != db.GetResourceVersion() {
			t.Error("the forbidden StatefulSet was written")
		}
	})

	t.Run("a missing list verb fails the plan", func(t *testing.T) {
		blind := shipped.DeepCopy()
		blind.Name = "pullthrough-migrator-blind"
		blind.Rules = []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}},
		}
		m := env.migrator(t, env.userBoundTo(t, "blind", blind), opts)
		_, err := m.Plan(t.Context())
		if err == nil || !strings.Contains(err.Error(), "statefulsets.apps: list in namespace locked") || !strings.Contains(err.Error(), "forbidden") {
			t.Fatalf("Plan error = %v; want a forbidden list of statefulsets", err)
		}
	})

	// A namespace whose pullthrough.dev/mode label cannot be read must not
	// be taken for enforce: the plan fails before anything is patched.
	t.Run("no access to namespaces fails the plan", func(t *testing.T) {
		unlabelled := shipped.DeepCopy()
		unlabelled.Name = "pullthrough-migrator-without-namespaces"
		unlabelled.Rules = slices.DeleteFunc(unlabelled.Rules, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.Resources, "namespaces")
		})
		user := env.userBoundTo(t, "unlabelled", unlabelled)
		before := env.resourceVersions(t, seeded)
		for _, tt := range []struct {
			name string
			opts Options
			want string
		}{
			{"get with -n", opts, `cannot get resource "namespaces"`},
			{"list without -n", Options{Kinds: opts.Kinds}, `cannot list resource "namespaces"`},
		} {
			r, err := carryOut(t, env.migrator(t, user, tt.opts), false)
			if err == nil || !strings.Contains(err.Error(), wellknown.LabelMode) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: report %v, error %v; want a failed plan: %s", tt.name, r, err, tt.want)
			}
		}
		if !maps.Equal(before, env.resourceVersions(t, seeded)) {
			t.Error("objects were written")
		}
	})

	// The chart's migrator.namespaces binds the ClusterRole in each
	// namespace: a RoleBinding grants get on that namespace itself.
	t.Run("a RoleBinding in the namespace suffices with -n", func(t *testing.T) {
		env.seed(t, []*unstructured.Unstructured{
			newNamespace("tenant"),
			newDeployment("Deployment", "tenant", "web", "nginx:1.27"),
			newDeployment("StatefulSet", "tenant", "db", "docker.io/library/postgres:16"),
		}, nil)
		user := env.userBoundIn(t, "tenant", shipped, "tenant")
		tenant := Options{Namespaces: []string{"tenant"}, Kinds: opts.Kinds}
		for _, undo := range []bool{false, true} {
			r, err := carryOut(t, env.migrator(t, user, tenant), undo)
			if err != nil {
				t.Fatalf("undo=%t: %v", undo, err)
			}
			if got := r.Totals.Objects[StatusPatched]; got != 2 || r.Totals.Failed != 0 {
				t.Fatalf("undo=%t: %s; want 2 patched", undo, countStatusMap(r.Totals.Objects))
			}
		}
	})
}

// carryOut runs a whole --apply, or --undo.
func carryOut(t *testing.T, m *Migrator, undo bool) (*Report, error) {
	plan := m.Plan
	if undo {
		plan = m.PlanUndo
	}
	p, err := plan(t.Context())
	if err != nil {
		return nil, err
	}
	return m.Apply(t.Context(), p)
}

// withoutPatch is role, renamed, without the patch verb on resource.
func withoutPatch(role *rbacv1.ClusterRole, resource string) *rbacv1.ClusterRole {
	limited := role.DeepCopy()
	limited.Name += "-without-" + resource + "-patch"
	for i, rule := range limited.Rules {
		if slices.Contains(rule.Resources, resource) && slices.Contains(rule.Verbs, "patch") {
			limited.Rules[i].Resources = slices.DeleteFunc(slices.Clone(rule.Resources), func(r string) bool { return r == resource })
			limited.Rules = append(limited.Rules, rbacv1.PolicyRule{APIGroups: rule.APIGroups, Resources: []string{resource}, Verbs: []string{"get", "list"}})
		}
	}
	return limited
}

// userBoundTo creates role and a user bound to it cluster-wide, and waits
// until RBAC lets the user list Deployments (bindings take effect
// asynchronously).
func (e *e2eEnv) userBoundTo(t *testing.T, name string, role *rbacv1.ClusterRole) *rest.Config {
	t.Helper()
	return e.userBoundIn(t, name, role, "")
}

// userBoundIn is userBoundTo with a RoleBinding in namespace instead, as the
// chart's migrator.namespaces does; "" binds cluster-wide.
func (e *e2eEnv) userBoundIn(t *testing.T, name string, role *rbacv1.ClusterRole, namespace string) *rest.Config {
	t.Helper()
	if err := e.client.Create(t.Context(), role.DeepCopy()); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}
	subjects := []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}}
	var binding client.Object = &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: roleRef, Subjects: subjects}
	if namespace != "" {
		binding = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, RoleRef: roleRef, Subjects: subjects}
	}
	if err := e.client.Create(t.Context(), binding); err != nil {
		t.Fatal(err)
	}
	user, err := e.cluster.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	deployments, probe := workloads[0].Resource, cmp.Or(namespace, "locked")
	err = wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(deployments).Namespace(probe).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("RBAC never let user %s list deployments: %v", name, err)
	}
	return user.Config
}
