package webhook

import (
	"fmt"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// maxWarning keeps each warning under the length past which the API server
// may truncate it (it caps warnings at 120 characters each).
const maxWarning = 119

// warningsFor says, one line per container, what was rewritten, what audit
// would rewrite, what was withheld because the proxy is down and what is
// still pulled from a public registry no mirror covers; kubectl prints
// these, so the person creating the pod sees the change.
func warningsFor(changes []podspec.Change) []string {
	var out []string
	for _, c := range changes {
		var long, short string
		switch c.Outcome {
		case rewrite.OutcomeRewritten:
			long = fmt.Sprintf("pullthrough: %s: %s -> %s", c.Container, c.Old, c.Image)
			short = fmt.Sprintf("pullthrough: %s: -> %s", c.Container, c.Image)
		case rewrite.OutcomeAudit:
			long = fmt.Sprintf("pullthrough audit: %s: %s would be %s", c.Container, c.Old, c.Proposed)
			short = fmt.Sprintf("pullthrough audit: %s: would be %s", c.Container, c.Proposed)
		case rewrite.OutcomeProxyUnhealthy:
			long = fmt.Sprintf("pullthrough: %s: proxy down, kept %s", c.Container, c.Old)
			short = fmt.Sprintf("pullthrough: %s: proxy down, image kept", c.Container)
		case rewrite.OutcomeUnroutedPublic:
			long = fmt.Sprintf("pullthrough: %s: %s pulls from public registry %s: no mirror covers it", c.Container, c.Old, c.Public)
			short = fmt.Sprintf("pullthrough: %s: public registry %s has no mirror", c.Container, c.Public)
		default:
			continue
		}
		out = append(out, fit(long, short))
	}
	return out
}

// fit returns long if it fits, else short, cut to fit if need be.
func fit(long, short string) string {
	if len(long) <= maxWarning {
		return long
	}
	if len(short) <= maxWarning {
		return short
	}
	return short[:maxWarning-3] + "..."
}
