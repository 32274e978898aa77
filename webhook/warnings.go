package webhook

import (
	"fmt"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// maxWarning is the longest warning sent. The AdmissionResponse API
// (k8s.io/api admission/v1, Warnings) asks for 120 characters "if possible"
// and says warnings over 256 may be truncated: an image pair (a digest-pinned
// one runs past 120) is worth the length, so it is kept whole up to 256, and
// only past that does the warning fall back to the new image alone.
const maxWarning = 256

// warningsFor says, one line per image, what was rewritten, what audit
// would rewrite, what was withheld because the proxy is down or the
// namespace lacks the proxy's pull secret, what is
// still pulled from a public registry no mirror covers and what could not
// be read (the API server checks only that an image volume's reference is
// not empty); kubectl prints these, so the person creating the pod sees
// the change.
func warningsFor(changes []podspec.Change) []string {
	var out []string
	for _, c := range changes {
		var long, short string
		switch c.Outcome {
		case rewrite.OutcomeRewritten:
			long = fmt.Sprintf("pullthrough: %s: %s -> %s", c.Key(), c.Old, c.Image)
			short = fmt.Sprintf("pullthrough: %s: -> %s", c.Key(), c.Image)
		case rewrite.OutcomeAudit:
			long = fmt.Sprintf("pullthrough audit: %s: %s would be %s", c.Key(), c.Old, c.Proposed)
			short = fmt.Sprintf("pullthrough audit: %s: would be %s", c.Key(), c.Proposed)
		case rewrite.OutcomeProxyUnhealthy:
			long = fmt.Sprintf("pullthrough: %s: proxy down, kept %s", c.Key(), c.Old)
			short = fmt.Sprintf("pullthrough: %s: proxy down, image kept", c.Key())
		case rewrite.OutcomeNotServed:
			long = fmt.Sprintf("pullthrough: %s: proxy not known to serve %s, kept %s", c.Key(), c.Proposed, c.Old)
			short = fmt.Sprintf("pullthrough: %s: proxy not known to serve it, image kept", c.Key())
		case rewrite.OutcomeNoPullSecret:
			long = fmt.Sprintf("pullthrough: %s: namespace lacks the proxy's pull secret, kept %s", c.Key(), c.Old)
			short = fmt.Sprintf("pullthrough: %s: namespace lacks the proxy's pull secret, image kept", c.Key())
		case rewrite.OutcomeUnroutedPublic:
			long = fmt.Sprintf("pullthrough: %s: %s pulls from public registry %s: no mirror covers it", c.Key(), c.Old, c.Public)
			short = fmt.Sprintf("pullthrough: %s: public registry %s has no mirror", c.Key(), c.Public)
		case rewrite.OutcomeUnparseable:
			long = fmt.Sprintf("pullthrough: %s: cannot read image reference %q: left as is", c.Key(), c.Old)
			short = fmt.Sprintf("pullthrough: %s: cannot read its image reference: left as is", c.Key())
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
