package migrate

import (
	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Plan is what Plan or PlanUndo found: the Report to show, and behind each
// of its objects the work that Apply carries out. Apply leaves a Plan as it
// is and returns a Report of its own, so a plan can be shown, applied, and
// compared with the result.
type Plan struct {
	// Report is what the plan found, for a person or a script.
	Report *Report
	// items[i] is the work behind Report.Objects[i].
	items []*item
	// direction is the way the plan goes, which Apply keeps: a patch met by
	// a concurrent change is decided again the same way.
	direction direction
}

// item is the work behind one object of a report: where the object lives,
// what reads its values, and the patch planned for it. row is the object's
// report row, kept current as the work goes on.
type item struct {
	row        Object
	gvr        schema.GroupVersionResource // where to patch and re-read it
	inspectors []inspector                 // of every target that selected it
	reportOnly bool                        // never patched: a Job, a bare Pod, or a foreign controller's
	ops        []jsonpatch.Operation       // the planned patch (RFC 6902)
	// held is set when a patch was planned but the object is gitops-managed
	// (and Options.IncludeManaged is not): ops is then nil.
	held bool
	// edits and source are, for a managed object only, the values that
	// change and the object as it was decided: --emit writes the change at
	// the object's source from them, patched or not.
	edits  []edit
	source *unstructured.Unstructured
}

// fail marks the item failed with err, dropping any planned patch.
func (it *item) fail(err error) {
	it.row.Status, it.row.Error, it.ops, it.held, it.edits = StatusFailed, err.Error(), nil, false, nil
}
