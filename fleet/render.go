package fleet

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pullthrough/pullthrough/internal/table"
	"github.com/pullthrough/pullthrough/rewrite"
)

// tableHeader names the columns of WriteTable.
var tableHeader = []string{"NAMESPACE", "OWNER", "POD", "CONTAINER", "IMAGE", "REGISTRY", "OUTCOME", "PULL"}

// Sort puts rows in report order: by cluster in the order clusters lists
// them, then namespace, owner and pod; a pod's references keep podspec's
// order. Error rows sort with their cluster.
func Sort(rows []Row, clusters []string) {
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(slices.Index(clusters, a.Cluster), slices.Index(clusters, b.Cluster)),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Pod, b.Pod))
	})
}

// WriteJSON writes rows as one JSON list, the report's machine form.
func WriteJSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// WriteTable writes rows, sorted by Sort, for a person: per cluster of
// clusters a heading, its references grouped by owner (the owner written
// once per group) and its Summary, which a cluster without pods gets too; a
// cluster that could not be listed shows its error instead.
func WriteTable(w io.Writer, rows []Row, clusters []string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, cluster := range clusters {
		start := slices.IndexFunc(rows, func(r Row) bool { return r.Cluster == cluster })
		end := start
		for start >= 0 && end < len(rows) && rows[end].Cluster == cluster {
			end++
		}
		var own []Row
		if start >= 0 {
			own = rows[start:end]
		}
		if err := writeCluster(tw, cluster, own); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// writeCluster writes one cluster's rows and its summary.
func writeCluster(w io.Writer, cluster string, rows []Row) error {
	if len(rows) > 0 && rows[0].Error != "" {
		_, err := fmt.Fprintf(w, "%s: error: %s\n\n", cluster, rows[0].Error)
		return err
	}
	if _, err := fmt.Fprintf(w, "CLUSTER %s\n%s\n", cluster, strings.Join(tableHeader, "\t")); err != nil {
		return err
	}
	var group string
	for _, r := range rows {
		owner := table.Cell(r.Namespace) + "\t" + table.Cell(r.Owner)
		if owner == group {
			owner = "\t"
		} else {
			group = owner
		}
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", owner, table.Cell(r.Pod), table.Cell(r.Container), table.Cell(r.Image), orDash(r.Registry), r.Outcome, orDash(r.PullFailure)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%s\n\n", Summary(cluster, rows))
	return err
}

// Summary is one cluster's line: "prod-eu: 1,204 references, 37 still pull
// direct from 3 registries, 2 unrouted public", and, when some reference
// that pulls through the proxy cannot be pulled, ", 2 failing to pull
// through the proxy".
func Summary(cluster string, rows []Row) string {
	var direct, unrouted, failing int
	registries := map[string]bool{}
	for _, r := range rows {
		switch r.Outcome {
		case rewrite.OutcomeRewritten:
			direct++
			registries[r.Registry] = true
		case rewrite.OutcomeUnroutedPublic:
			unrouted++
		}
		if r.PullFailure != "" {
			failing++
		}
	}
	line := fmt.Sprintf("%s: %s, %s still pull direct from %s, %s unrouted public", cluster,
		count(len(rows), "reference"), thousands(direct), count(len(registries), "registry"), thousands(unrouted))
	if failing > 0 {
		line += fmt.Sprintf(", %s failing to pull through the proxy", thousands(failing))
	}
	return line
}

// count writes n and noun, plural unless n is 1.
func count(n int, noun string) string {
	if n != 1 {
		if strings.HasSuffix(noun, "y") {
			noun = strings.TrimSuffix(noun, "y") + "ie"
		}
		noun += "s"
	}
	return thousands(n) + " " + noun
}

// thousands writes n with comma separators: 1,204.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// orDash writes "-" for an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Failing returns the rows whose outcome is one of outcomes, for --fail-on.
func Failing(rows []Row, outcomes []rewrite.Outcome) []Row {
	var out []Row
	for _, r := range rows {
		if r.Error == "" && slices.Contains(outcomes, r.Outcome) {
			out = append(out, r)
		}
	}
	return out
}
