package webhook

import (
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// warningOf is the warning of each outcome the webhook warns about: what was
// rewritten, what audit would rewrite, what was withheld because the proxy
// is down, does not serve the reference or needs a pull secret the
// namespace lacks, what is still pulled from a public registry no mirror
// covers and what could not be read. The texts are wellknown's, which the
// policy engine sends too.
var warningOf = map[rewrite.Outcome]wellknown.Warning{
	rewrite.OutcomeRewritten:      wellknown.WarningRewritten,
	rewrite.OutcomeAudit:          wellknown.WarningAudit,
	rewrite.OutcomeProxyUnhealthy: wellknown.WarningProxyDown,
	rewrite.OutcomeNotServed:      wellknown.WarningNotServed,
	rewrite.OutcomeNoPullSecret:   wellknown.WarningNoPullSecret,
	rewrite.OutcomeUnroutedPublic: wellknown.WarningUnrouted,
	rewrite.OutcomeUnparseable:    wellknown.WarningUnparseable,
}

// warningsFor says, one line per image, what happened to it (warningOf);
// kubectl prints these, so the person creating the pod sees the change.
func warningsFor(changes []podspec.Change) []string {
	var out []string
	for _, c := range changes {
		if w, ok := warningOf[c.Outcome]; ok {
			out = append(out, w.Fill(valuesOf(c)))
		}
	}
	return out
}

// valuesOf fills a wellknown.Text's holes from c.
func valuesOf(c podspec.Change) func(wellknown.Hole) string {
	return func(h wellknown.Hole) string {
		switch h {
		case wellknown.Key:
			return c.Key()
		case wellknown.Entry:
			return c.Describe()
		case wellknown.Image:
			return c.Old
		case wellknown.New:
			return c.Image
		case wellknown.Proposed:
			return c.Proposed
		case wellknown.Public:
			return c.Public
		case wellknown.Host:
			return rewrite.RegistryOf(c.Old)
		}
		return ""
	}
}
