package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/pager"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
)

// source is one paged list the migrator runs, and how it reads each object
// the list returns.
type source struct {
	// origin names the source in errors: a resource, or the config entry
	// (migrate.fields[0]) that asked for it.
	origin    string
	gvr       schema.GroupVersionResource
	kind      string // of built-in kinds; a custom resource's comes from each object
	namespace string // "" lists every namespace (or a cluster-scoped resource)
	labels    string
	fields    string
	// keep, when set, drops objects in other namespaces: a field target
	// without a namespace is listed cluster-wide, then filtered by -n.
	keep []string
	// workload sources skip what a covered owner controls; see coveredOwners.
	workload   bool
	reportOnly bool
	inspector  inspector
}

// sources turns the kinds, namespaces and config targets into list calls:
// one per kind and namespace (so that namespace-scoped RBAC suffices with
// -n), then one per config target.
func sources(targets config.MigrateTargets, kinds kindFilter, opts Options) []*source {
	namespaces := opts.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	var out []*source
	for _, w := range workloads {
		if !kinds.selects(w.Resource.GroupResource()) {
			continue
		}
		for _, ns := range namespaces {
			out = append(out, &source{
				origin: w.Resource.GroupResource().String(), gvr: w.Resource, kind: w.Kind, namespace: ns,
				labels: opts.Selector, workload: true, reportOnly: w.Migrate == podspec.ReportOnly,
				inspector: podSpecInspector{path: strings.Join(w.Path, ".")},
			})
		}
	}
	if kinds.selects(configMaps.GroupResource()) {
		for i, t := range targets.ConfigMaps {
			if len(opts.Namespaces) > 0 && !slices.Contains(opts.Namespaces, t.Namespace) {
				continue
			}
			out = append(out, &source{
				origin: fmt.Sprintf("migrate.configMaps[%d]", i), gvr: configMaps, kind: "ConfigMap",
				namespace: t.Namespace, labels: joinSelectors(t.Selector, opts.Selector), fields: nameSelector(t.Name),
				inspector: configMapInspector{},
			})
		}
	}
	for i, t := range targets.Fields {
		gvr := schema.GroupVersionResource{Group: t.Group, Version: t.Version, Resource: t.Resource}
		if !kinds.selects(gvr.GroupResource()) {
			continue
		}
		s := &source{
			origin: fmt.Sprintf("migrate.fields[%d] (%s)", i, gvr.GroupResource()), gvr: gvr,
			namespace: t.Namespace, labels: opts.Selector, fields: nameSelector(t.Name),
			inspector: fieldInspector{path: t.Path, value: t.Value, unset: t.Unset},
		}
		if len(opts.Namespaces) > 0 {
			if t.Namespace != "" && !slices.Contains(opts.Namespaces, t.Namespace) {
				continue
			}
			s.keep = opts.Namespaces
		}
		out = append(out, s)
	}
	return out
}

// list calls fn with every object of s, a page (limit/continue) at a time.
func (m *Migrator) list(ctx context.Context, s *source, fn func(*unstructured.Unstructured)) error {
	resource := m.client.Resource(s.gvr).Namespace(s.namespace)
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return resource.List(ctx, opts)
	})
	p.PageSize = m.opts.PageSize
	opts := metav1.ListOptions{LabelSelector: s.labels, FieldSelector: s.fields}
	err := p.EachListItemWithAlloc(ctx, opts, func(obj runtime.Object) error {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("list item is a %T, not unstructured", obj)
		}
		if s.keep == nil || slices.Contains(s.keep, u.GetNamespace()) {
			fn(u)
		}
		return nil
	})
	if err != nil {
		where := "across the cluster"
		if s.namespace != "" {
			where = "in namespace " + s.namespace
		}
		if apierrors.IsNotFound(err) && s.kind == "" {
			return fmt.Errorf("%s: list %s: %w (is its CRD installed? drop the entry from the config or leave it out with --kinds)", s.origin, where, err)
		}
		return fmt.Errorf("%s: list %s: %w", s.origin, where, err)
	}
	return nil
}

// owner classifies an object's controller: skip is true when a covered owner
// controls it; otherwise name is "Kind/name" of a foreign controller, or "".
func owner(u *unstructured.Unstructured) (name string, skip bool) {
	ref := metav1.GetControllerOfNoCopy(u)
	if ref == nil {
		return "", false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err == nil && coveredOwners[gv.WithKind(ref.Kind).GroupKind()] {
		return "", true
	}
	return ref.Kind + "/" + ref.Name, false
}

// nameSelector selects one object by name; "" selects all.
func nameSelector(name string) string {
	if name == "" {
		return ""
	}
	return fields.OneTermEqualSelector("metadata.name", name).String()
}

// joinSelectors ANDs label selectors (both validated already).
func joinSelectors(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "," + b
}
