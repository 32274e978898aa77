package migrate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pullthrough/pullthrough/rewrite"
)

// ErrUnknownKind is returned when a --kinds name matches no kind the migrator handles.
var ErrUnknownKind = errors.New("unknown kind")

// workload is a built-in kind that carries a pod spec.
type workload struct {
	kind  string
	gvr   schema.GroupVersionResource
	short string // kubectl's short name
	// reportOnly kinds are listed and reported, never patched: a Job's
	// template is immutable, and a bare Pod's images cannot change (the
	// webhook catches its re-creation).
	reportOnly bool
}

// workloads are the built-in kinds, in the order they are listed.
var workloads = []workload{
	{kind: "Deployment", gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, short: "deploy"},
	{kind: "StatefulSet", gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, short: "sts"},
	{kind: "DaemonSet", gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, short: "ds"},
	{kind: "ReplicaSet", gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, short: "rs"},
	{kind: "ReplicationController", gvr: schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}, short: "rc"},
	{kind: "CronJob", gvr: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, short: "cj"},
	{kind: "Job", gvr: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, reportOnly: true},
	{kind: "Pod", gvr: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, short: "po", reportOnly: true},
}

// configMaps is the resource of the config's migrate.configMaps targets.
var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// coveredOwners are the controllers whose own row covers what they own: a
// ReplicaSet of a Deployment, a Job of a CronJob, a Pod of any workload. An
// object owned by one of them is left out of the report; one owned by any
// other controller (an operator's custom resource) is reported, never
// patched, because that controller would put the old image back.
var coveredOwners = func() map[schema.GroupKind]bool {
	covered := map[schema.GroupKind]bool{}
	for _, w := range workloads {
		if w.kind != "Pod" {
			covered[schema.GroupKind{Group: w.gvr.Group, Kind: w.kind}] = true
		}
	}
	return covered
}()

// kindFilter is the --kinds selection; nil selects everything.
type kindFilter map[schema.GroupResource]bool

// selects reports whether gr is selected.
func (f kindFilter) selects(gr schema.GroupResource) bool {
	return f == nil || f[gr]
}

// parseKinds resolves --kinds names: a built-in kind by its name, plural or
// short name in any case (Deployment, deployments, deploy), ConfigMap, or a
// migrate.fields resource by plural or plural.group (installations,
// installations.operator.tigera.io).
func parseKinds(names []string, fields []rewrite.FieldTarget) (kindFilter, error) {
	if len(names) == 0 {
		return nil, nil
	}
	known := map[string]schema.GroupResource{}
	for _, w := range workloads {
		for _, n := range []string{w.kind, w.gvr.Resource, w.short} {
			if n != "" {
				known[strings.ToLower(n)] = w.gvr.GroupResource()
			}
		}
	}
	for _, n := range []string{"configmap", "configmaps", "cm"} {
		known[n] = configMaps.GroupResource()
	}
	for _, t := range fields {
		gr := schema.GroupResource{Group: t.Group, Resource: t.Resource}
		known[strings.ToLower(t.Resource)] = gr
		known[strings.ToLower(gr.String())] = gr
	}
	f := kindFilter{}
	for _, n := range names {
		gr, ok := known[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, fmt.Errorf("--kinds %q: %w; known: %s", n, ErrUnknownKind, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		f[gr] = true
	}
	return f, nil
}
