package policy

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// The policies' warnings and denials are wellknown's texts, the ones the
// webhook fills in Go, compiled into CEL: the two engines cannot word a
// message differently.

// celText is t as a CEL string expression; its holes read the slot s and
// the decision d (CEL expressions), as celHole says.
func celText(t wellknown.Text, s, d string) string {
	var parts []string
	for _, p := range t {
		switch p := p.(type) {
		case wellknown.Lit:
			parts = append(parts, lit(string(p)))
		case wellknown.Hole:
			parts = append(parts, celHole(p, s, d))
		case wellknown.Quoted:
			// Go's %q adds nothing but the quotes to what the policies
			// quote: references the decision parsed, names the API server
			// validated (wellknown.Quoted).
			parts = append(parts, `'"'`, celHole(wellknown.Hole(p), s, d), `'"'`)
		}
	}
	return strings.Join(parts, " + ")
}

// celHole is the CEL of one hole: the slot's fields (slotsExpr) and the
// decision's (rules.decision).
func celHole(h wellknown.Hole, s, d string) string {
	switch h {
	case wellknown.Key:
		return s + ".key"
	case wellknown.Entry:
		return s + ".entry"
	case wellknown.Image:
		return s + ".image"
	case wellknown.New:
		return d + ".image"
	case wellknown.Proposed:
		return d + ".proposed"
	case wellknown.Public:
		return d + ".registry" // rewrite.Result.Registry(): the public entry when unrouted
	case wellknown.Host:
		return d + ".host"
	}
	panic(fmt.Sprintf("policy: no CEL for hole %d of a wellknown.Text", h)) // a new hole without a case: TestTextsInCEL
}

// celFit is the warning w of slot s and decision d, fitted as
// wellknown.Fit fits it.
func celFit(w wellknown.Warning, s, d string) string {
	return fmt.Sprintf("[[%s, %s]].map(w, size(w[0]) <= %[3]d ? w[0] : size(w[1]) <= %[3]d ? w[1] : w[1].substring(0, %d) + %s)[0]",
		celText(w.Long, s, d), celText(w.Short, s, d), wellknown.MaxWarningLength, wellknown.MaxWarningLength-len(wellknown.Ellipsis), lit(wellknown.Ellipsis))
}

// warningsExpr is the list of warnings (warningOf[outcome], fitted) of the
// decisions whose outcome warningOf names, in slot order.
func warningsExpr(warningOf map[rewrite.Outcome]wellknown.Warning) string {
	os := outcomes(warningOf)
	s, d := "variables.slots[i]", "d"
	expr := celFit(warningOf[rewrite.Outcome(os[len(os)-1])], s, d)
	for _, o := range os[:len(os)-1] {
		expr = fmt.Sprintf("d.outcome == %s ? %s : %s", lit(o), celFit(warningOf[rewrite.Outcome(o)], s, d), expr)
	}
	return fmt.Sprintf("variables.decisions.transformList(i, d, d.outcome in %s, %s)", list(os), expr)
}

// outcomes are the outcomes of warningOf, in a fixed order.
func outcomes(warningOf map[rewrite.Outcome]wellknown.Warning) []string {
	var out []string
	for _, o := range rewrite.Outcomes {
		if _, ok := warningOf[o]; ok {
			out = append(out, string(o))
		}
	}
	return out
}

// listExpr is the message l about the decisions with outcome o.
func listExpr(l wellknown.List, o rewrite.Outcome) string {
	return fmt.Sprintf("%s + variables.decisions.transformList(i, d, d.outcome == %s, %s).join(%s)",
		lit(l.Prefix), lit(string(o)), celText(l.Item, "variables.slots[i]", "d"), lit(l.Sep))
}
