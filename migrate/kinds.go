package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
)

// workloads are the built-in kinds the migrator lists, in podspec.Kinds
// order: every kind whose pod spec it patches or reports.
var workloads = slices.DeleteFunc(slices.Clone(podspec.Kinds), func(k podspec.Kind) bool {
	return k.Migrate == podspec.NotListed
})

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
		if w.Kind != "Pod" {
			covered[schema.GroupKind{Group: w.Resource.Group, Kind: w.Kind}] = true
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
func parseKinds(names []string, fields []config.FieldTarget) (kindFilter, error) {
	if len(names) == 0 {
		return nil, nil
	}
	known := map[string]schema.GroupResource{}
	for _, w := range workloads {
		for _, n := range []string{w.Kind, w.Resource.Resource, w.Short} {
			if n != "" {
				known[strings.ToLower(n)] = w.Resource.GroupResource()
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
			return nil, fmt.Errorf("--kinds %q: unknown kind; known: %s", n, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		f[gr] = true
	}
	return f, nil
}
