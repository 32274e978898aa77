package migrate

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/pullthrough/pullthrough/internal/table"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// maxCell bounds a table cell: a ConfigMap value restored by --undo can be
// kilobytes of text; the JSON report has it whole.
const maxCell = 72

// tableHeader names the columns of WriteTable.
var tableHeader = []string{"NAMESPACE", "KIND", "NAME", "CONTAINER/FIELD", "OLD", "NEW", "OUTCOME", "MANAGED-BY", "STATUS"}

// WriteTable renders r for a person: one line per value (one per object
// without any), the diffs when they were asked for, every failure with its
// error, and the totals.
func WriteTable(w io.Writer, r *Report) error {
	return write(NewTableWriter(w, r.Verified), r)
}

// WriteJSON renders r for a script: every object and value, and the totals.
func WriteJSON(w io.Writer, r *Report) error {
	return write(NewJSONWriter(w), r)
}

// write renders a whole report through out.
func write(out ReportWriter, r *Report) error {
	if err := out.Begin(r); err != nil {
		return err
	}
	for _, o := range r.Objects {
		if err := out.Object(o); err != nil {
			return err
		}
	}
	return out.End(r)
}

// ReportWriter renders a report an object at a time, so that a plan of a
// whole fleet is written as it is made and never held (PlanEach): Begin with
// the report's head (action, warnings), Object for each object, End with
// the totals.
type ReportWriter interface {
	Begin(r *Report) error
	Object(o *Object) error
	End(r *Report) error
}

// tableChunk is how many objects a streamed table aligns at once: its
// columns are as wide as the widest cell of each chunk.
const tableChunk = 1000

// tableWriter is the ReportWriter of WriteTable. It keeps a chunk of lines
// to align, the diffs of that chunk, and the failures, which are listed
// again at the end.
type tableWriter struct {
	w        io.Writer
	tw       *tabwriter.Writer
	verified bool
	objects  int
	diffs    strings.Builder
	failed   []string
	warnings []string
}

// NewTableWriter renders a report as WriteTable does, an object at a time;
// verified adds the VERIFY column (Report.Verified).
func NewTableWriter(w io.Writer, verified bool) ReportWriter {
	return &tableWriter{w: w, tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0), verified: verified}
}

func (t *tableWriter) Begin(r *Report) error {
	t.warnings = r.Warnings
	return t.header()
}

// header writes the column names at the top of a chunk.
func (t *tableWriter) header() error {
	header := tableHeader
	if t.verified {
		header = append(slices.Clone(tableHeader[:7]), "VERIFY", tableHeader[7], tableHeader[8])
	}
	return writeLine(t.tw, header)
}

func (t *tableWriter) Object(o *Object) error {
	if t.objects > 0 && t.objects%tableChunk == 0 {
		if err := t.flush(); err != nil {
			return err
		}
		if err := t.header(); err != nil {
			return err
		}
	}
	t.objects++
	object := []string{orDash(o.Namespace), o.Kind, o.Name}
	tail := []string{orDash(strings.Join(o.ManagedBy, ",")), string(o.Status)}
	lines := make([][]string, 0, len(o.Rows))
	for _, row := range o.Rows {
		newValue := row.New
		if newValue == row.Old {
			newValue = "-"
		}
		line := []string{row.Field, row.Old, newValue, string(row.Outcome)}
		if t.verified {
			line = append(line, orDash(string(o.Verify[row.Path])))
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, []string{"-", "-", "-", "-"})
		if t.verified {
			lines[0] = append(lines[0], "-")
		}
	}
	for _, line := range lines {
		if err := writeLine(t.tw, object, line, tail); err != nil {
			return err
		}
	}
	if o.Diff != "" {
		t.diffs.WriteString("\n" + o.Diff)
	}
	if o.Status == StatusFailed || o.Status == StatusNotServed {
		t.failed = append(t.failed, fmt.Sprintf("  %s %s: %s\n", o.Kind, objectName(o), o.Error))
	}
	return nil
}

// flush writes the aligned chunk and its diffs.
func (t *tableWriter) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(t.w, t.diffs.String())
	t.diffs.Reset()
	return err
}

func (t *tableWriter) End(r *Report) error {
	if err := t.flush(); err != nil {
		return err
	}
	var b strings.Builder
	if len(t.warnings) > 0 {
		b.WriteString("\nwarnings:\n")
		for _, w := range t.warnings {
			fmt.Fprintf(&b, "  %s\n", w)
		}
	}
	if len(t.failed) > 0 {
		b.WriteString("\nfailed:\n")
		for _, f := range t.failed {
			b.WriteString(f)
		}
	}
	fmt.Fprintf(&b, "\nvalues: %s\nobjects: %s\n", countOutcomes(r.Totals.Outcomes), countStatusMap(r.Totals.Objects))
	_, err := io.WriteString(t.w, b.String())
	return err
}

// writeLine writes one table line of sanitized cells.
func writeLine(w io.Writer, parts ...[]string) error {
	var cells []string
	for _, p := range parts {
		for _, c := range p {
			cells = append(cells, cell(c))
		}
	}
	_, err := io.WriteString(w, strings.Join(cells, "\t")+"\n")
	return err
}

// cell keeps a value on one table line: table.Cell quotes what is not
// printable (a ConfigMap value's newlines, a tab that would break the
// columns) and an empty value, and long values are cut.
func cell(s string) string {
	s = table.Cell(s)
	if r := []rune(s); len(r) > maxCell {
		s = string(r[:maxCell-3]) + "..."
	}
	return s
}

// Summary is the one line a person reads last, on stderr: what was done, and
// "nothing to change" when a run found everything migrated already.
func Summary(r *Report) string {
	verb := string(r.Action)
	if r.ServerDryRun {
		verb += " (server dry-run)"
	}
	t := r.Totals
	acted := t.Objects[StatusPlanned] + t.Objects[StatusPatched] + t.Objects[StatusDryRun] + t.Failed
	held := t.Objects[StatusGitOpsManaged]
	var line string
	switch {
	case acted == 0 && held == 0:
		line = fmt.Sprintf("migrate %s: nothing to change (%d objects checked: %s)", verb, r.Totals.Count(), countStatusMap(t.Objects))
	case r.Action == ActionPlan && acted > 0:
		line = fmt.Sprintf("migrate %s: %s; run with --apply to patch the planned objects", verb, countStatusMap(t.Objects))
	case r.Action == ActionUndo && t.Objects[StatusPlanned] > 0:
		line = fmt.Sprintf("migrate %s: %s; run with --undo --apply to restore the planned values", verb, countStatusMap(t.Objects))
	default:
		line = fmt.Sprintf("migrate %s: %s", verb, countStatusMap(t.Objects))
	}
	// Left alone, but not fine: the nodes still pull these from the internet.
	if n := t.Outcomes[rewrite.OutcomeUnroutedPublic]; n > 0 {
		line += fmt.Sprintf("; %d values still on public registries no mirror covers (unrouted-public)", n)
	}
	if held > 0 {
		line += fmt.Sprintf("; %d %s objects not patched (their sync would put the old image back): change their source, which --emit DIR writes, or patch them too with --include-managed", held, StatusGitOpsManaged)
	}
	return line + keptNote(r)
}

// keptNote tells an undo's reader that the values it did not restore are
// still recorded, so a later undo (with the config of the forward run) can.
func keptNote(r *Report) string {
	if n := r.Totals.Outcomes[OutcomeChangedSince]; r.Action == ActionUndo && n > 0 {
		return fmt.Sprintf("; %d values not restored (changed-since) stay recorded in %s", n, wellknown.AnnotationMigratedImages)
	}
	return ""
}

// objectName is namespace/name, or name for a cluster-scoped object.
func objectName(o *Object) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

// countStatuses counts the statuses of items, as "48 patched, 2 failed".
func countStatuses(items []*item) string {
	counts := map[Status]int{}
	for _, it := range items {
		counts[it.row.Status]++
	}
	return countStatusMap(counts)
}

func countStatusMap(counts map[Status]int) string {
	var parts []string
	for _, s := range statuses {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return orNone(parts)
}

func countOutcomes(counts map[rewrite.Outcome]int) string {
	var parts []string
	for _, o := range outcomes {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	return orNone(parts)
}

func orNone(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
