package migrate

import (
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Action is what a Report describes: a plan, or the result of carrying one out.
type Action string

// The actions, as the report's "action" field names them.
const (
	ActionPlan  Action = "plan"
	ActionApply Action = "apply"
	ActionUndo  Action = "undo"
)

// Status says what the migrator did, or would do, with one object.
type Status string

// The statuses, in the order the totals list them.
const (
	// StatusPlanned: a patch is ready; Apply sends it.
	StatusPlanned Status = "planned"
	// StatusPatched: the API server accepted the patch.
	StatusPatched Status = "patched"
	// StatusDryRun: the API server accepted the patch with dryRun=All and
	// persisted nothing.
	StatusDryRun Status = "dry-run"
	// StatusFailed: the object could not be patched (or read); Error says why.
	StatusFailed Status = "failed"
	// StatusReportOnly: the object names images the migrator must not patch: a
	// Job or bare Pod (immutable template, or the webhook catches its
	// re-creation), or a workload another controller owns and would revert.
	StatusReportOnly Status = "report-only"
	// StatusUnchanged: nothing to change.
	StatusUnchanged Status = "unchanged"
	// StatusNotServed: --verify found an image the proxy does not serve, so the
	// object is not patched (unless --force): its pods would not start.
	StatusNotServed Status = "not-served"
	// StatusGitOpsManaged: Argo CD, Flux or Helm manages the object (Manager),
	// so a patch would be reverted by the next sync, after a rollout of its
	// own: it is not patched (unless Options.IncludeManaged), and --emit
	// writes the change to make at its source. Its pods are rewritten at
	// admission all the same.
	StatusGitOpsManaged Status = "gitops-managed"
)

// statuses lists every Status in report order.
var statuses = []Status{StatusPlanned, StatusPatched, StatusDryRun, StatusFailed, StatusNotServed, StatusGitOpsManaged, StatusReportOnly, StatusUnchanged}

// Outcomes of --undo for one recorded value. They sit beside the rewrite
// outcomes in a report's rows, but describe a restore, not a route, so they
// are not part of package rewrite's closed set.
const (
	// OutcomeRestored: the value still held what the migrator wrote and gets
	// its original back.
	OutcomeRestored rewrite.Outcome = "restored"
	// OutcomeChangedSince: the value was changed after the migrator wrote it
	// (or no longer exists); it is reported and left as it is.
	OutcomeChangedSince rewrite.Outcome = "changed-since"
)

// outcomes lists every outcome a row can carry, in report order.
var outcomes = append(append([]rewrite.Outcome{}, rewrite.Outcomes...), OutcomeRestored, OutcomeChangedSince)

// Row is one image, registry prefix or reference in text, and its decision.
type Row struct {
	// Field is what a person looks for: a container name ("app",
	// "init:setup"), a ConfigMap key ("data.values") or a dotted field path.
	Field string `json:"field"`
	// Path is the JSON pointer of the value a patch changes.
	Path string `json:"path"`
	// Old is the value as found.
	Old string `json:"old"`
	// New is the value after the migration; equal to Old when it is left
	// alone, except for outcome audit, where it is the rewrite that is shown
	// and not applied (audit mode, or a namespace labelled
	// pullthrough.dev/mode=audit).
	New string `json:"new"`
	// Outcome says why.
	Outcome rewrite.Outcome `json:"outcome"`
}

// Object is one Kubernetes object of a report, with every value the migrator
// considered in it.
type Object struct {
	// Resource is the plural resource and group, e.g. deployments.apps.
	Resource  string `json:"resource"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// ManagedBy names what would put the old image back: the Manager
	// (Manager.String), and the owning controller (Kind/name).
	ManagedBy []string `json:"managedBy,omitempty"`
	// Manager is the GitOps or release tool that manages the object, and
	// the unit (Application, Kustomization, HelmRelease, release) whose
	// source must change.
	Manager *Manager `json:"manager,omitempty"`
	Status  Status   `json:"status"`
	// Error is the API error (or decoding error) of a failed object.
	Error string `json:"error,omitempty"`
	// Retried is set when a patch met a concurrent change and was recomputed
	// from a fresh read.
	Retried bool  `json:"retried,omitempty"`
	Rows    []Row `json:"rows"`
	// Diff is the unified diff of the object's YAML, with --diff.
	Diff string `json:"diff,omitempty"`
	// Verify is, with --verify, whether the proxy serves the image of each
	// row pulled through it (rewritten or already proxied), by the row's
	// Path: served, not-found, unauthorized or unreachable. Registry prefixes
	// name no image and are not checked.
	Verify map[string]resolve.Status `json:"verify,omitempty"`
}

// Report is the result of a plan, apply or undo: every object considered and
// the totals, rendered as a table or JSON. It holds what a person or a script
// reads, nothing more; the work behind a planned report is in its Plan.
type Report struct {
	Action Action `json:"action"`
	// ServerDryRun is set when every patch was sent with dryRun=All.
	ServerDryRun bool `json:"serverDryRun,omitempty"`
	// Warnings are what a person must fix though nothing failed: a
	// namespace whose pullthrough.dev/mode label is not a mode.
	Warnings []string `json:"warnings,omitempty"`
	// Verified is set when --verify checked the images against the proxy.
	Verified bool      `json:"verified,omitempty"`
	Objects  []*Object `json:"objects"`
	Totals   Totals    `json:"totals"`
}

// Totals count rows by outcome and objects by status, so that a script can
// read the result without walking the objects.
type Totals struct {
	Outcomes map[rewrite.Outcome]int `json:"outcomes"`
	Objects  map[Status]int          `json:"objects"`
	// Failed is the number of failed objects and of objects refused because
	// an image of theirs is not served; non-zero means exit code 1.
	Failed int `json:"failed"`
}

// newReport is the report of items, with its totals.
func newReport(action Action, serverDryRun bool, items []*item) *Report {
	r := &Report{Action: action, ServerDryRun: serverDryRun, Objects: make([]*Object, 0, len(items))}
	for _, it := range items {
		r.Objects = append(r.Objects, &it.row)
	}
	r.count()
	return r
}

// count recomputes the totals from the objects.
func (r *Report) count() {
	r.Totals = newTotals()
	for _, o := range r.Objects {
		r.Totals.add(o)
	}
}

// newTotals counts nothing yet.
func newTotals() Totals {
	return Totals{Outcomes: map[rewrite.Outcome]int{}, Objects: map[Status]int{}}
}

// add counts one object and its rows.
func (t *Totals) add(o *Object) {
	t.Objects[o.Status]++
	for _, row := range o.Rows {
		t.Outcomes[row.Outcome]++
	}
	t.Failed = t.Objects[StatusFailed] + t.Objects[StatusNotServed]
}

// Count is the number of objects counted, for a report streamed without them.
func (t Totals) Count() int {
	n := 0
	for _, c := range t.Objects {
		n += c
	}
	return n
}

// Failed returns the failed and not-served objects, each with its error.
func (r *Report) Failed() []*Object {
	var failed []*Object
	for _, o := range r.Objects {
		if o.Status == StatusFailed || o.Status == StatusNotServed {
			failed = append(failed, o)
		}
	}
	return failed
}
