package migrate

import (
	"cmp"
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Plan lists every selected object and decides every image in it, changing
// nothing. Objects with a patch to send are StatusPlanned; Apply sends them.
// A list that fails (forbidden, resource not served) fails the whole plan:
// a partial plan would look complete.
func (m *Migrator) Plan(ctx context.Context) (*Report, error) {
	return m.plan(ctx, ActionPlan)
}

// PlanUndo lists every object that carries AnnotationMigratedImages and plans
// the restore of each recorded value that still holds what the migrator
// wrote. Apply carries it out.
func (m *Migrator) PlanUndo(ctx context.Context) (*Report, error) {
	return m.plan(ctx, ActionUndo)
}

func (m *Migrator) plan(ctx context.Context, action Action) (*Report, error) {
	r := &Report{Action: action, Objects: []*Object{}}
	// Undo takes back what an earlier apply wrote, whatever the labels
	// say now, so only a forward plan reads them.
	var modes namespaceModes
	if action != ActionUndo {
		var err error
		if modes, r.Warnings, err = m.readNamespaceModes(ctx); err != nil {
			return nil, err
		}
	}
	index := map[string]*Object{}
	for _, s := range m.sources {
		if action == ActionUndo && s.reportOnly {
			continue
		}
		err := m.list(ctx, s, func(u *unstructured.Unstructured) {
			m.found(r, index, modes, s, u)
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(r.Objects, func(a, b *Object) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.Resource, b.Resource))
	})
	r.count()
	return r, nil
}

// found adds one listed object to the report, with the mode of its
// namespace (from modes; unused by undo), or, when another target selected
// it already, adds this target's inspector to it, so that an object still
// gets a single patch.
func (m *Migrator) found(r *Report, index map[string]*Object, modes namespaceModes, s *source, u *unstructured.Unstructured) {
	undo := r.Action == ActionUndo
	if undo {
		if _, ok := u.GetAnnotations()[AnnotationMigratedImages]; !ok {
			return
		}
	}
	var controller string
	if s.workload {
		var skip bool
		if controller, skip = owner(u); skip || (undo && controller != "") {
			return
		}
	}
	key := s.gvr.GroupResource().String() + "/" + u.GetNamespace() + "/" + u.GetName()
	o, seen := index[key]
	if !seen {
		kind := cmp.Or(s.kind, u.GetKind())
		o = &Object{
			Resource: s.gvr.GroupResource().String(), Kind: kind, Namespace: u.GetNamespace(), Name: u.GetName(),
			ManagedBy:  ManagedBy(u.GetLabels(), u.GetAnnotations()),
			gvr:        s.gvr,
			reportOnly: s.reportOnly || controller != "",
		}
		if !undo {
			o.mode = modes.of(u.GetNamespace())
		}
		if controller != "" {
			o.ManagedBy = append(o.ManagedBy, controller)
		}
		index[key] = o
		r.Objects = append(r.Objects, o)
	}
	if slices.Contains(o.inspectors, s.inspector) {
		return
	}
	o.inspectors = append(o.inspectors, s.inspector)
	m.decide(o, u, undo)
}

// decide (re)computes an object's rows and planned patch from u, its
// current state: at plan time, and again after a patch met a concurrent
// change.
func (m *Migrator) decide(o *Object, u *unstructured.Unstructured, undo bool) {
	o.ops, o.Error, o.Diff = nil, "", ""
	var err error
	if undo {
		excluded := u.GetNamespace() != "" && m.cfg.NamespaceExcluded(u.GetNamespace())
		err = m.decideUndo(o, u, excluded)
	} else {
		err = m.decideApply(o, u)
	}
	switch {
	case err != nil:
		o.fail(err)
	case len(o.ops) > 0:
		o.Status = StatusPlanned
		if m.opts.Diff {
			if o.Diff, err = diff(o, u); err != nil {
				o.fail(err)
			}
		}
	case o.reportOnly && slices.ContainsFunc(o.Rows, func(r Row) bool { return r.Outcome == rewrite.OutcomeRewritten }):
		o.Status = StatusReportOnly
	default:
		o.Status = StatusUnchanged
	}
}

// decideApply plans the forward patch: every rewritten value, and the
// record; in an excluded, off or audit namespace, no patch.
func (m *Migrator) decideApply(o *Object, u *unstructured.Unstructured) error {
	rw, excluded, err := m.routing(u.GetNamespace(), o.mode)
	if err != nil {
		o.Rows = nil
		return err
	}
	rows, edits, err := inspectAll(o.inspectors, rw, u.Object, excluded)
	o.Rows = rows
	if err != nil || o.reportOnly || len(edits) == 0 {
		return err
	}
	o.ops, err = applyOps(edits, u.GetAnnotations())
	return err
}

// fail marks the object failed with err, dropping any planned patch.
func (o *Object) fail(err error) {
	o.Status, o.Error, o.ops = StatusFailed, err.Error(), nil
}
