package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestNamesAgree checks that the parts of the self-signed mode name each
// other: the flags, the Service, the webhook configuration and the RBAC rules
// that let the webhook write exactly its own Secret and configuration.
func TestNamesAgree(t *testing.T) {
	t.Parallel()
	objs := load(t, manifestsFile)
	dep := only[*appsv1.Deployment](t, objs)
	svc := only[*corev1.Service](t, objs)
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, objs)
	role := only[*rbacv1.Role](t, objs)
	clusterRole := only[*rbacv1.ClusterRole](t, objs)
	args := dep.Spec.Template.Spec.Containers[0].Args
	ns := dep.Namespace
	secret, _ := strings.CutPrefix(flag(args, "self-signed-secret"), ns+"/")

	if got := flag(args, "self-signed-service"); got != ns+"/"+svc.Name {
		t.Errorf("--self-signed-service=%s, want %s/%s", got, ns, svc.Name)
	}
	if got := flag(args, "webhook-config"); got != mwc.Name {
		t.Errorf("--webhook-config=%s, want %s", got, mwc.Name)
	}
	for _, w := range mwc.Webhooks {
		s := w.ClientConfig.Service
		if s == nil || s.Name != svc.Name || s.Namespace != ns || deref(s.Port) != int32(443) {
			t.Errorf("%s: clientConfig.service %+v, want %s/%s port 443", w.Name, s, ns, svc.Name)
		}
	}
	container := dep.Spec.Template.Spec.Containers[0]
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == 443 })
	if i < 0 || containerPort(container, svc.Spec.Ports[i].TargetPort.String()) != flag(args, "port") {
		t.Errorf("want Service port 443 -> the container's --port=%s; got %v", flag(args, "port"), svc.Spec.Ports)
	}
	grants := []struct {
		rules          []rbacv1.PolicyRule
		resource, name string
	}{
		{role.Rules, "secrets", secret},
		{clusterRole.Rules, "mutatingwebhookconfigurations", mwc.Name},
	}
	for _, g := range grants {
		if !permits(g.rules, g.resource, g.name, "update") || permits(g.rules, g.resource, "another-"+g.name, "update") {
			t.Errorf("want update on %s %q and on no other: %+v", g.resource, g.name, g.rules)
		}
	}
	for _, b := range all[*rbacv1.RoleBinding](objs) {
		checkSubject(t, b.Name, b.Subjects, ns, dep.Spec.Template.Spec.ServiceAccountName)
	}
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		checkSubject(t, b.Name, b.Subjects, ns, dep.Spec.Template.Spec.ServiceAccountName)
	}
}

// permits reports whether rules allow verb on the named object of resource.
func permits(rules []rbacv1.PolicyRule, resource, name, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) &&
			(len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, name))
	})
}

func checkSubject(t *testing.T, binding string, subjects []rbacv1.Subject, ns, serviceAccount string) {
	t.Helper()
	wantSubjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: serviceAccount}}
	if !slices.Equal(subjects, wantSubjects) {
		t.Errorf("binding %s: subjects %+v, want %+v", binding, subjects, wantSubjects)
	}
}

// TestMigrator checks the rendered migrator: it only plans unless told to
// apply, runs as the ServiceAccount its binding names, and, planning, is
// granted only the read verbs of what the hand-kept
// deploy/rbac/migrator-clusterrole.yaml grants: a Job that only plans must
// not hold cluster-wide patch.
func TestMigrator(t *testing.T) {
	t.Parallel()
	objs := load(t, migratorFile)
	job := only[*batchv1.Job](t, objs)
	pod := job.Spec.Template.Spec
	if args := pod.Containers[0].Args; slices.Contains(args, "--apply") || !strings.HasPrefix(flag(args, "config"), "/") {
		t.Errorf("args %v: want a plan (no --apply) of an absolute --config", args)
	}
	checkSubject(t, "migrator", only[*rbacv1.ClusterRoleBinding](t, objs).Subjects, job.Namespace, pod.ServiceAccountName)
	rendered := permissions(only[*rbacv1.ClusterRole](t, objs).Rules)
	kept := permissions(only[*rbacv1.ClusterRole](t, load(t, rbacFile)).Rules)
	reads := slices.DeleteFunc(slices.Clone(kept), func(p string) bool { return !isRead(p) })
	if !slices.Equal(rendered, reads) {
		t.Errorf("the chart's plan-only migrator ClusterRole grants\n  %v\nwant the read verbs of %s\n  %v", rendered, rbacFile, reads)
	}
}

// TestMigratorWritesOnlyWithApply checks every rendered variant (the
// committed manifests and hack/lint-chart.sh's renderings): a migrator Job
// with --apply is granted exactly the hand-kept ClusterRole's verbs, patch
// included, and one without holds read verbs only, extraRules and the Roles
// of its ConfigMap targets included.
func TestMigratorWritesOnlyWithApply(t *testing.T) {
	t.Parallel()
	kept := permissions(only[*rbacv1.ClusterRole](t, load(t, rbacFile)).Rules)
	for _, file := range renderedFiles(t) {
		objs := load(t, file)
		for _, job := range all[*batchv1.Job](objs) {
			apply := slices.Contains(job.Spec.Template.Spec.Containers[0].Args, "--apply")
			granted := permissions(grantedTo(objs, job.Namespace, job.Spec.Template.Spec.ServiceAccountName))
			if len(granted) == 0 {
				t.Errorf("%s: nothing granted to the migrator's ServiceAccount", file)
				continue
			}
			for _, p := range granted {
				if !apply && !isRead(p) {
					t.Errorf("%s: a migrator without --apply is granted %q", file, p)
				}
			}
			if apply && !isSubset(kept, granted) {
				t.Errorf("%s: a migrator with --apply is granted %v, want at least %v", file, granted, kept)
			}
		}
	}
}

// grantedTo collects the rules of every Role and ClusterRole that a binding
// among objs grants ServiceAccount ns/name (a Role in its binding's
// namespace; a ClusterRole bound in a namespace counts whole, as the tests
// compare verbs, not scopes).
func grantedTo(objs []runtime.Object, ns, name string) []rbacv1.PolicyRule {
	type grant struct {
		namespace string // of a Role; "" for a ClusterRole
		role      string
	}
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	granted := map[grant]bool{}
	bind := func(namespace string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		if ref.Kind == "ClusterRole" {
			namespace = ""
		}
		if slices.Contains(subjects, subject) {
			granted[grant{namespace, ref.Name}] = true
		}
	}
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		bind("", b.RoleRef, b.Subjects)
	}
	for _, b := range all[*rbacv1.RoleBinding](objs) {
		bind(b.Namespace, b.RoleRef, b.Subjects)
	}
	var rules []rbacv1.PolicyRule
	for _, r := range all[*rbacv1.ClusterRole](objs) {
		if granted[grant{"", r.Name}] {
			rules = append(rules, r.Rules...)
		}
	}
	for _, r := range all[*rbacv1.Role](objs) {
		if granted[grant{r.Namespace, r.Name}] {
			rules = append(rules, r.Rules...)
		}
	}
	return rules
}

// isRead reports whether a permissions line grants a read verb.
func isRead(permission string) bool {
	verb := strings.Fields(permission)[1]
	return verb == "get" || verb == "list" || verb == "watch"
}

// isSubset reports whether every element of sub is in set.
func isSubset(sub, set []string) bool {
	return !slices.ContainsFunc(sub, func(s string) bool { return !slices.Contains(set, s) })
}

// permissions flattens rules into sorted "group/resource verb" lines, so
// that rules written in another order or grouping compare equal.
func permissions(rules []rbacv1.PolicyRule) []string {
	var set []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					set = append(set, fmt.Sprintf("%s/%s %s %v", g, res, v, r.ResourceNames))
				}
			}
		}
	}
	slices.Sort(set)
	return slices.Compact(set)
}
