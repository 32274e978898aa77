package migrate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestParseKinds(t *testing.T) {
	t.Parallel()
	fields := loadTestConfig(t).Migrate.Fields
	installations := schema.GroupResource{Group: "operator.example.io", Resource: "installations"}
	tests := []struct {
		name    string
		kinds   []string
		want    []schema.GroupResource
		wantErr bool
	}{
		{name: "kind names", kinds: []string{"Deployment", "CronJob"},
			want: []schema.GroupResource{{Group: "apps", Resource: "deployments"}, {Group: "batch", Resource: "cronjobs"}}},
		{name: "plural and short names, any case", kinds: []string{"STATEFULSETS", "rc", " ds "},
			want: []schema.GroupResource{{Group: "apps", Resource: "statefulsets"}, {Resource: "replicationcontrollers"}, {Group: "apps", Resource: "daemonsets"}}},
		{name: "configmaps", kinds: []string{"cm"}, want: []schema.GroupResource{{Resource: "configmaps"}}},
		{name: "custom resource by plural", kinds: []string{"installations"}, want: []schema.GroupResource{installations}},
		{name: "custom resource by plural.group", kinds: []string{"installations.operator.example.io"}, want: []schema.GroupResource{installations}},
		// A custom resource the config does not name cannot be migrated.
		{name: "unknown", kinds: []string{"widgets"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := parseKinds(tt.kinds, fields)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), `--kinds "widgets": unknown kind`) {
					t.Fatalf("error = %v, want one naming the unknown kind", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != len(tt.want) {
				t.Fatalf("selected %v, want %v", f, tt.want)
			}
			for _, gr := range tt.want {
				if !f.selects(gr) {
					t.Errorf("%s not selected; selected %v", gr, f)
				}
			}
		})
	}
}

func TestOwner(t *testing.T) {
	t.Parallel()
	ownedBy := func(apiVersion, kind string) string {
		return `
metadata:
  name: x
  ownerReferences:
  - {apiVersion: ` + apiVersion + `, kind: ` + kind + `, name: parent, uid: "1", controller: true}`
	}
	tests := []struct {
		name     string
		manifest string
		want     string
		skip     bool
	}{
		{name: "no owner", manifest: "metadata: {name: x}"},
		{name: "deployment's replicaset", manifest: ownedBy("apps/v1", "Deployment"), skip: true},
		{name: "cronjob's job", manifest: ownedBy("batch/v1", "CronJob"), skip: true},
		{name: "rc's pod", manifest: ownedBy("v1", "ReplicationController"), skip: true},
		// An operator would revert a patch: report, never patch.
		{name: "operator's deployment", manifest: ownedBy("operator.tigera.io/v1", "Installation"), want: "Installation/parent"},
		// A mirror pod's kubelet reads a manifest on the node.
		{name: "mirror pod", manifest: ownedBy("v1", "Node"), want: "Node/parent"},
		// Same kind name, other group: not ours.
		{name: "look-alike kind", manifest: ownedBy("example.io/v1", "Deployment"), want: "Deployment/parent"},
		{name: "owner that is not a controller", manifest: `
metadata:
  name: x
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: parent, uid: "1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, skip := owner(object(t, tt.manifest))
			if got != tt.want || skip != tt.skip {
				t.Fatalf("owner = %q, skip %v; want %q, skip %v", got, skip, tt.want, tt.skip)
			}
		})
	}
}

// TestWorkloadsHavePodSpecPaths: every kind the migrator lists has a pod-spec
// path, or its images would silently go unreported.
func TestWorkloadsHavePodSpecPaths(t *testing.T) {
	t.Parallel()
	if len(workloads) == 0 {
		t.Fatal("the migrator lists no workload kinds")
	}
	for _, w := range workloads {
		if len(w.Path) == 0 || w.Path[len(w.Path)-1] != "spec" {
			t.Errorf("%s: pod-spec path %v does not end in a spec", w.Kind, w.Path)
		}
		if w.Resource.Resource == "" || w.Resource.Version == "" {
			t.Errorf("%s: no API resource to list: %v", w.Kind, w.Resource)
		}
	}
}
