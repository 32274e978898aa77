package migrate

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The migrator's RBAC as deploy/ ships it.
const (
	shippedClusterRole    = "../deploy/rbac/migrator-clusterrole.yaml"
	shippedServiceAccount = "../deploy/rbac/migrator-serviceaccount.yaml"
)

// loadClusterRole reads the shipped ClusterRole, strictly.
func loadClusterRole(t *testing.T) *rbacv1.ClusterRole {
	t.Helper()
	data, err := os.ReadFile(shippedClusterRole)
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		t.Fatalf("%s: %v", shippedClusterRole, err)
	}
	return role
}

// TestShippedClusterRole holds deploy/rbac/migrator-clusterrole.yaml to
// exactly the verbs the migrator uses: list to plan, get to re-read after a
// conflict, patch to migrate; nothing on what it only reports, nor on
// namespaces, whose labels it only reads (list, or get with -n), and nothing
// on ConfigMaps: those are granted per configured target in a Role.
func TestShippedClusterRole(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"apps/deployments":        {"get", "list", "patch"},
		"apps/statefulsets":       {"get", "list", "patch"},
		"apps/daemonsets":         {"get", "list", "patch"},
		"apps/replicasets":        {"get", "list", "patch"},
		"/replicationcontrollers": {"get", "list", "patch"},
		"batch/cronjobs":          {"get", "list", "patch"},
		"batch/jobs":              {"get", "list"},
		"/pods":                   {"get", "list"},
		"/namespaces":             {"get", "list"},
	}
	got := map[string][]string{}
	for _, rule := range loadClusterRole(t).Rules {
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				key := group + "/" + resource
				got[key] = slices.Sorted(slices.Values(append(got[key], rule.Verbs...)))
			}
		}
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("rules grant %v, want exactly %v", got, want)
	}
	// Every kind the migrator lists must be in the role.
	for _, w := range workloads {
		if _, ok := got[w.Resource.Group+"/"+w.Resource.Resource]; !ok {
			t.Errorf("no rule for %s", w.Resource.GroupResource())
		}
	}
}

// TestShippedServiceAccount checks that the example binding decodes strictly
// and binds the shipped ClusterRole to the ServiceAccount it defines.
func TestShippedServiceAccount(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(shippedServiceAccount)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want a ServiceAccount and a ClusterRoleBinding", len(docs))
	}
	var sa corev1.ServiceAccount
	var binding rbacv1.ClusterRoleBinding
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &sa); err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &binding); err != nil {
		t.Fatal(err)
	}
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}
	if binding.RoleRef.Name != loadClusterRole(t).Name || !slices.Equal(binding.Subjects, []rbacv1.Subject{subject}) {
		t.Fatalf("binding %+v does not bind the ClusterRole to %+v", binding, subject)
	}
}
