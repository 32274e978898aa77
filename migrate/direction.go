package migrate

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// A direction is all that a forward run and an undo do differently. Plan,
// PlanEach, PlanUndo and PlanUndoEach each choose one, and a Plan keeps it
// for Apply: nothing below them asks which way a run goes.
type direction interface {
	// begin reads what the run needs before it lists anything; its warnings
	// go to the report.
	begin(ctx context.Context) (warnings []string, err error)
	// lists reports whether the run lists the objects of s.
	lists(s *source) bool
	// takes reports whether a listed object is part of the run; controller
	// is the covering owner of a workload, "" when none.
	takes(u *unstructured.Unstructured, controller string) bool
	// decide sets an item's rows and planned patch from u, its current state.
	decide(it *item, u *unstructured.Unstructured) error
	// action names the run in a report, planned or carried out.
	action(applied bool) Action
}

var (
	_ direction = (*forward)(nil)
	_ direction = (*undo)(nil)
)

// forward moves images to the proxy, honouring each namespace's mode as the
// webhook does.
type forward struct {
	m *Migrator
	// modes are the namespaces' modes, read once by begin: a re-decided
	// object (after a refused patch) is routed as it was planned.
	modes namespaceModes
	// labels are the namespaces' labels, for scoped mirrors.
	labels namespaceLabels
}

func (f *forward) begin(ctx context.Context) ([]string, error) {
	modes, labels, warnings, err := f.m.readNamespaceModes(ctx)
	f.modes, f.labels = modes, labels
	return warnings, err
}

func (*forward) lists(*source) bool { return true }

func (*forward) takes(*unstructured.Unstructured, string) bool { return true }

func (*forward) action(applied bool) Action {
	if applied {
		return ActionApply
	}
	return ActionPlan
}

// decide plans the forward patch: every rewritten value, and the record; for
// an object that opted out, or in an excluded, off or audit namespace, no
// patch; for a gitops-managed one, none unless Options.IncludeManaged (its
// edits are kept for --emit either way).
func (f *forward) decide(it *item, u *unstructured.Unstructured) error {
	rw, skip, err := f.route(u, it.inspectors)
	if err != nil {
		it.row.Rows = nil
		return err
	}
	rows, edits, err := inspectAll(it.inspectors, rw, u.Object, skip)
	it.row.Rows = rows
	if err != nil {
		return err
	}
	if it.row.Manager != nil {
		// Its source must change too, patched or not: kept for --emit.
		it.edits, it.source = edits, u
	}
	if it.reportOnly || len(edits) == 0 {
		return nil
	}
	if it.row.Manager != nil && !f.m.opts.IncludeManaged {
		it.held = true
		return nil
	}
	it.ops, err = applyOps(edits, u.GetAnnotations())
	return err
}

// route picks how the values of object u, read by inspectors, are decided:
// not at all when it opted out (skip opted-out, first, as in
// podspec.DecidePod); else by the
// mode in force in its namespace (config.Config.ModeIn of the namespace's
// mode): with the config's routing in enforce, withholding every rewrite in
// audit, or not at all (skip excluded-namespace: exclude.namespaces, or mode
// off). A cluster-scoped object has no label: the config's mode applies. A
// namespace the run did not read (created since) is an error: it must not be
// taken for enforce.
func (f *forward) route(u *unstructured.Unstructured, inspectors []inspector) (rw *rewrite.Rewriter, skip rewrite.Outcome, err error) {
	out, err := optedOut(u, inspectors)
	switch {
	case err != nil:
		return nil, "", err
	case out:
		return f.m.enforce, rewrite.OutcomeOptedOut, nil
	}
	ns := u.GetNamespace()
	if f.m.excluded(ns) {
		return f.m.enforce, rewrite.OutcomeExcludedNamespace, nil
	}
	mode := config.ModeEnforce
	if ns != "" {
		var read bool
		if mode, read = f.modes[ns]; !read {
			return nil, "", fmt.Errorf("namespace %s was created after the run read the %s labels; run again", ns, wellknown.LabelMode)
		}
	}
	switch f.m.cfg.ModeIn(mode) {
	case config.ModeOff:
		return f.m.enforce, rewrite.OutcomeExcludedNamespace, nil
	case config.ModeAudit:
		return f.labels.in(f.m.audit, ns), "", nil
	}
	return f.labels.in(f.m.enforce, ns), "", nil
}

// undo takes back what an earlier apply wrote, whatever the mode labels say
// now (a namespace labelled off after the migration is rolled back like any
// other). It reads the namespaces' labels only for a config with scoped
// mirrors, to recompute what apply wrote in each namespace.
type undo struct {
	m      *Migrator
	labels namespaceLabels
}

func (d *undo) begin(ctx context.Context) ([]string, error) {
	if !d.m.cfg.Scoped() {
		return nil, nil
	}
	_, labels, _, err := d.m.readNamespaceModes(ctx)
	d.labels = labels
	return nil, err
}

// lists leaves out what the migrator never patches.
func (*undo) lists(s *source) bool { return !s.reportOnly }

// takes the objects with a record that no other controller owns.
func (*undo) takes(u *unstructured.Unstructured, controller string) bool {
	_, recorded := u.GetAnnotations()[wellknown.AnnotationMigratedImages]
	return recorded && controller == ""
}

func (*undo) action(bool) Action { return ActionUndo }

// excluded reports whether exclude.namespaces names ns, whose objects are
// never patched in either direction; a cluster-scoped object ("") never is.
func (m *Migrator) excluded(ns string) bool {
	return ns != "" && m.cfg.NamespaceExcluded(ns)
}
