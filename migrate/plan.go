package migrate

import (
	"cmp"
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Plan lists every selected object and decides every image in it, changing
// nothing. Objects with a patch to send are StatusPlanned; Apply sends them.
// A list that fails (forbidden, resource not served) fails the whole plan:
// a partial plan would look complete.
func (m *Migrator) Plan(ctx context.Context) (*Plan, error) {
	return m.plan(ctx, ActionPlan)
}

// PlanUndo lists every object that carries wellknown.AnnotationMigratedImages and plans
// the restore of each recorded value that still holds what the migrator
// wrote. Apply carries it out.
func (m *Migrator) PlanUndo(ctx context.Context) (*Plan, error) {
	return m.plan(ctx, ActionUndo)
}

func (m *Migrator) plan(ctx context.Context, action Action) (*Plan, error) {
	var items []*item
	// Undo takes back what an earlier apply wrote, whatever the labels
	// say now, so only a forward plan reads them.
	var modes namespaceModes
	var warnings []string
	if action != ActionUndo {
		var err error
		if modes, warnings, err = m.readNamespaceModes(ctx); err != nil {
			return nil, err
		}
	}
	index := map[string]*item{}
	for _, s := range m.sources {
		if action == ActionUndo && s.reportOnly {
			continue
		}
		err := m.list(ctx, s, func(u *unstructured.Unstructured) {
			if it := m.found(action, index, modes, s, u); it != nil {
				items = append(items, it)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	p := newPlan(action, items)
	p.Report.Warnings = warnings
	return p, nil
}

// newPlan puts items in report order and builds their report.
func newPlan(action Action, items []*item) *Plan {
	slices.SortFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.row.Namespace, b.row.Namespace), cmp.Compare(a.row.Kind, b.row.Kind),
			cmp.Compare(a.row.Name, b.row.Name), cmp.Compare(a.row.Resource, b.row.Resource))
	})
	return &Plan{Report: newReport(action, false, items), items: items}
}

// found decides one listed object, with the mode of its namespace (from
// modes; unused by undo), and returns its new item; or, when another target
// selected it already, adds this target's inspector to the item in index
// and returns nil, so that an object still gets a single patch.
func (m *Migrator) found(action Action, index map[string]*item, modes namespaceModes, s *source, u *unstructured.Unstructured) *item {
	undo := action == ActionUndo
	if undo {
		if _, ok := u.GetAnnotations()[wellknown.AnnotationMigratedImages]; !ok {
			return nil
		}
	}
	var controller string
	if s.workload {
		var skip bool
		if controller, skip = owner(u); skip || (undo && controller != "") {
			return nil
		}
	}
	key := s.gvr.GroupResource().String() + "/" + u.GetNamespace() + "/" + u.GetName()
	it, seen := index[key]
	if !seen {
		it = &item{
			row: Object{
				Resource: s.gvr.GroupResource().String(), Kind: cmp.Or(s.kind, u.GetKind()),
				Namespace: u.GetNamespace(), Name: u.GetName(),
				ManagedBy: ManagedBy(u.GetLabels(), u.GetAnnotations()),
			},
			gvr:        s.gvr,
			reportOnly: s.reportOnly || controller != "",
		}
		if !undo {
			it.mode = modes.of(u.GetNamespace())
		}
		if controller != "" {
			it.row.ManagedBy = append(it.row.ManagedBy, controller)
		}
		index[key] = it
	}
	if slices.Contains(it.inspectors, s.inspector) {
		return nil
	}
	it.inspectors = append(it.inspectors, s.inspector)
	m.decide(it, u, undo)
	if seen {
		return nil
	}
	return it
}

// decide (re)computes an item's rows and planned patch from u, its current
// state: at plan time, and again after a patch met a concurrent change.
func (m *Migrator) decide(it *item, u *unstructured.Unstructured, undo bool) {
	it.ops, it.row.Error, it.row.Diff = nil, "", ""
	var err error
	if undo {
		excluded := u.GetNamespace() != "" && m.cfg.NamespaceExcluded(u.GetNamespace())
		err = m.decideUndo(it, u, excluded)
	} else {
		err = m.decideApply(it, u)
	}
	switch {
	case err != nil:
		it.fail(err)
	case len(it.ops) > 0:
		it.row.Status = StatusPlanned
		if m.opts.Diff {
			if it.row.Diff, err = diff(it, u); err != nil {
				it.fail(err)
			}
		}
	case slices.ContainsFunc(it.row.Rows, func(r Row) bool { return r.Outcome == rewrite.OutcomeRewritten }):
		// A rewrite no patch carries: a report-only object's, or a field
		// the object leaves unset (its value must be set by hand).
		it.row.Status = StatusReportOnly
	default:
		it.row.Status = StatusUnchanged
	}
}

// decideApply plans the forward patch: every rewritten value, and the
// record; in an excluded, off or audit namespace, no patch.
func (m *Migrator) decideApply(it *item, u *unstructured.Unstructured) error {
	rw, excluded, err := m.routing(u.GetNamespace(), it.mode)
	if err != nil {
		it.row.Rows = nil
		return err
	}
	rows, edits, err := inspectAll(it.inspectors, rw, u.Object, excluded)
	it.row.Rows = rows
	if err != nil || it.reportOnly || len(edits) == 0 {
		return err
	}
	it.ops, err = applyOps(edits, u.GetAnnotations())
	return err
}
