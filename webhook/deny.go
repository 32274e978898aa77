package webhook

import (
	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// unroutedDenial is why a pod is rejected under unrouted: deny
// (wellknown.DenialUnrouted), or "" to admit it, in mode, the mode in force.
// Only enforce denies: audit (a path or the config's mode) is there to look
// before acting, and an off namespace never reaches the webhook. Pod-level
// decisions (opted out, excluded namespace) and excluded images are never
// unrouted, so they are never denied.
func unroutedDenial(mode config.Mode, cfg *config.Config, changes []podspec.Change) string {
	if mode != config.ModeEnforce || cfg.Unrouted != config.UnroutedDeny {
		return ""
	}
	var unrouted []func(wellknown.Hole) string
	for _, c := range changes {
		if c.Outcome == rewrite.OutcomeUnroutedPublic {
			unrouted = append(unrouted, valuesOf(c))
		}
	}
	return wellknown.DenialUnrouted.Fill(unrouted)
}
