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
func (m *Migrator) Plan(ctx context.Context) (*Plan, error) {
	return m.plan(ctx, &forward{m: m})
}

// PlanUndo lists every object that carries wellknown.AnnotationMigratedImages and plans
// the restore of each recorded value that still holds what the migrator
// wrote. Apply carries it out.
func (m *Migrator) PlanUndo(ctx context.Context) (*Plan, error) {
	return m.plan(ctx, &undo{m: m})
}

// PlanEach is Plan for a fleet: it writes each object to out as soon as it
// is decided and keeps none, so its memory is bounded by the list's page
// size, not by the cluster. Objects come in list order (kind by kind, then
// namespace and name), not sorted as Plan's; those a config target selects
// come last, once every target has had its say. The returned Report has the
// totals and warnings and no objects. Apply needs a Plan: PlanEach serves a
// plan that is only shown.
func (m *Migrator) PlanEach(ctx context.Context, out ReportWriter) (*Report, error) {
	return m.planEach(ctx, &forward{m: m}, out)
}

// PlanUndoEach is PlanUndo written as PlanEach writes Plan.
func (m *Migrator) PlanUndoEach(ctx context.Context, out ReportWriter) (*Report, error) {
	return m.planEach(ctx, &undo{m: m}, out)
}

func (m *Migrator) plan(ctx context.Context, d direction) (*Plan, error) {
	var items []*item
	warnings, err := m.scan(ctx, d, func(it *item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := newPlan(d, items)
	p.Report.Warnings = warnings
	return p, nil
}

func (m *Migrator) planEach(ctx context.Context, d direction, out ReportWriter) (*Report, error) {
	r := &Report{Action: d.action(false), Totals: newTotals()}
	begun := false
	warnings, err := m.scan(ctx, d, func(it *item) error {
		if !begun {
			begun = true
			if err := out.Begin(r); err != nil {
				return err
			}
		}
		r.Totals.add(&it.row)
		return out.Object(&it.row)
	})
	if err != nil {
		return nil, err
	}
	r.Warnings = warnings
	if !begun {
		if err := out.Begin(r); err != nil {
			return nil, err
		}
	}
	return r, out.End(r)
}

// scan lists every source and calls emit with each object decided: at once
// for a workload no config target can also select (nothing else can add to
// its decision), at the end for the others, so that an object several
// targets select is emitted once, with every target's values.
func (m *Migrator) scan(ctx context.Context, d direction, emit func(*item) error) ([]string, error) {
	warnings, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	index := map[string]*item{}
	var held []*item
	for _, s := range m.sources {
		if !d.lists(s) {
			continue
		}
		var emitErr error
		err := m.list(ctx, s, func(u *unstructured.Unstructured) {
			it := m.found(d, index, s, u)
			switch {
			case it == nil || emitErr != nil:
			case m.shared[s.gvr]:
				held = append(held, it)
			default:
				delete(index, indexKey(s, u))
				emitErr = emit(it)
			}
		})
		if err != nil {
			return nil, err
		}
		if emitErr != nil {
			return nil, emitErr
		}
	}
	for _, it := range held {
		if err := emit(it); err != nil {
			return nil, err
		}
	}
	return warnings, nil
}

// newPlan puts items in report order and builds their report; Apply
// carries them out in direction d.
func newPlan(d direction, items []*item) *Plan {
	slices.SortFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.row.Namespace, b.row.Namespace), cmp.Compare(a.row.Kind, b.row.Kind),
			cmp.Compare(a.row.Name, b.row.Name), cmp.Compare(a.row.Resource, b.row.Resource))
	})
	return &Plan{Report: newReport(d.action(false), false, items), items: items, direction: d}
}

// found decides one listed object that the run takes (direction d) and
// returns its new item; or, when another target selected it already, adds
// this target's inspector to the item in index and returns nil, so that an
// object still gets a single patch.
func (m *Migrator) found(d direction, index map[string]*item, s *source, u *unstructured.Unstructured) *item {
	var controller string
	if s.workload {
		var skip bool
		if controller, skip = owner(u); skip {
			return nil
		}
	}
	if !d.takes(u, controller) {
		return nil
	}
	key := indexKey(s, u)
	it, seen := index[key]
	if !seen {
		kind := cmp.Or(s.kind, u.GetKind())
		it = &item{
			row: Object{
				Resource: s.gvr.GroupResource().String(), Kind: kind,
				Namespace: u.GetNamespace(), Name: u.GetName(),
				Manager: managerOf(kind, u.GetLabels(), u.GetAnnotations(), m.opts.ArgoCDInstanceLabel),
			},
			gvr:        s.gvr,
			reportOnly: s.reportOnly || controller != "",
		}
		if it.row.Manager != nil {
			it.row.ManagedBy = []string{it.row.Manager.String()}
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
	m.decide(d, it, u)
	if seen {
		return nil
	}
	return it
}

// indexKey names an object of a source in found's index.
func indexKey(s *source, u *unstructured.Unstructured) string {
	return s.gvr.GroupResource().String() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// decide (re)computes an item's rows and planned patch from u, its current
// state, in direction d: at plan time, and again after a patch met a
// concurrent change.
func (m *Migrator) decide(d direction, it *item, u *unstructured.Unstructured) {
	it.ops, it.held, it.edits, it.source, it.row.Error, it.row.Diff = nil, false, nil, nil, "", ""
	err := d.decide(it, u)
	switch {
	case err != nil:
		it.fail(err)
	case it.held:
		it.row.Status = StatusGitOpsManaged
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
