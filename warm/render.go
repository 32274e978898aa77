package warm

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pullthrough/pullthrough/internal/table"
	"github.com/pullthrough/pullthrough/resolve"
)

// tableHeader names the columns of WriteTable.
var tableHeader = "NAMESPACE\tFOUND-IN\tREFERENCE\tTAG\tDIGEST\tRESULT"

// WriteTable writes one line per result for a person: where the reference
// was found first (and how many more places name it), the tag's pull, the
// digest's answer and the outcome.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if _, err := fmt.Fprintln(tw, tableHeader); err != nil {
		return err
	}
	for _, r := range results {
		where := table.Cell(r.Where[0])
		if n := len(r.Where) - 1; n > 0 {
			where += fmt.Sprintf(" (+%d)", n)
		}
		if _, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", orDash(table.Cell(r.Namespace)), where,
			table.Cell(r.Reference), tagCell(r.TagStatus), r.DigestStatus, r.Outcome); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// tagCell says what became of the tag: pulled, no-tag, or the proxy's answer.
func tagCell(s resolve.Status) string {
	if s == resolve.StatusServed {
		return "pulled"
	}
	return string(s)
}

// orDash writes "-" for an empty cell: a manifest's reference has no namespace.
func orDash(s string) string {
	if s == `""` {
		return "-"
	}
	return s
}

// WriteJSON writes results as one JSON list, the machine form.
func WriteJSON(w io.Writer, results []Result) error {
	if results == nil {
		results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// Summary is the last line: "warm: digest references 4: 2 warmed, 1 served,
// 1 failed; without a digest, left out: 3".
func Summary(results []Result, withoutDigest int) string {
	counts := map[Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	return fmt.Sprintf("warm: digest references %d: %d %s, %d %s, %d %s; without a digest, left out (a proxy fills a tag on its first pull): %d",
		len(results), counts[OutcomeWarmed], OutcomeWarmed, counts[OutcomeServed], OutcomeServed, counts[OutcomeFailed], OutcomeFailed, withoutDigest)
}
