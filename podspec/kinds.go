package podspec

import "k8s.io/apimachinery/pkg/runtime/schema"

// Kind is a built-in kind that carries a pod spec: where it keeps it, and
// how the migrator lists and treats it. One table serves the CLI's manifest
// rewriting and the migrator, so the two always agree on which kinds carry
// images and where.
type Kind struct {
	// Kind is the object's kind, as in a manifest.
	Kind string
	// Resource is the API resource the migrator lists.
	Resource schema.GroupVersionResource
	// Short is kubectl's short name, accepted by --kinds.
	Short string
	// Path is where the pod spec is, as JSON field names from the object's root.
	Path []string
	// Migrate says what the migrator does with objects of the kind.
	Migrate Migration
}

// Migration is what the migrator does with objects of a kind.
type Migration int

const (
	// NotListed kinds are rewritten in manifests, never listed in a cluster:
	// a PodTemplate's pods are created by whoever reads it, through the webhook.
	NotListed Migration = iota
	// Patched kinds are listed, reported and patched.
	Patched
	// ReportOnly kinds are listed and reported, never patched: a Job's
	// template is immutable, and a bare Pod's images cannot change (the
	// webhook catches its re-creation).
	ReportOnly
)

// Kinds are the built-in kinds that carry a pod spec, in the order the
// migrator lists them.
var Kinds = []Kind{
	{Kind: "Deployment", Resource: apps("deployments"), Short: "deploy", Path: templateSpec, Migrate: Patched},
	{Kind: "StatefulSet", Resource: apps("statefulsets"), Short: "sts", Path: templateSpec, Migrate: Patched},
	{Kind: "DaemonSet", Resource: apps("daemonsets"), Short: "ds", Path: templateSpec, Migrate: Patched},
	{Kind: "ReplicaSet", Resource: apps("replicasets"), Short: "rs", Path: templateSpec, Migrate: Patched},
	{Kind: "ReplicationController", Resource: core("replicationcontrollers"), Short: "rc", Path: templateSpec, Migrate: Patched},
	{Kind: "CronJob", Resource: batch("cronjobs"), Short: "cj", Path: []string{"spec", "jobTemplate", "spec", "template", "spec"}, Migrate: Patched},
	{Kind: "Job", Resource: batch("jobs"), Path: templateSpec, Migrate: ReportOnly},
	{Kind: "Pod", Resource: core("pods"), Short: "po", Path: []string{"spec"}, Migrate: ReportOnly},
	{Kind: "PodTemplate", Resource: core("podtemplates"), Path: []string{"template", "spec"}, Migrate: NotListed},
}

// templateSpec is the pod spec of a kind with a spec.template.
var templateSpec = []string{"spec", "template", "spec"}

func core(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Version: "v1", Resource: resource}
}

func apps(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: resource}
}

func batch(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: resource}
}

// PathOf returns where kind keeps its pod spec; false for a kind without one.
func PathOf(kind string) ([]string, bool) {
	for _, k := range Kinds {
		if k.Kind == kind {
			return k.Path, true
		}
	}
	return nil, false
}
