package webhook

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// unroutedDenial is why a pod is rejected under unrouted: deny, or "" to
// admit it, in mode, the mode in force. Only enforce denies: audit (a path or
// the config's mode) is there to look before acting, and an off namespace
// never reaches the webhook. Pod-level decisions (opted out, excluded
// namespace) and excluded images are never unrouted, so they are never denied.
func unroutedDenial(mode config.Mode, cfg *config.Config, changes []podspec.Change) string {
	if mode != config.ModeEnforce || cfg.Unrouted != config.UnroutedDeny {
		return ""
	}
	var reasons []string
	for _, c := range changes {
		if c.Outcome != rewrite.OutcomeUnroutedPublic {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("%s: image %q would be pulled from public registry %s, which no mirror covers (add a mirror with source %s, or exclude the image)",
			c.Describe(), c.Old, c.Public, rewrite.RegistryOf(c.Old)))
	}
	if len(reasons) == 0 {
		return ""
	}
	return "pullthrough (unrouted: deny): " + strings.Join(reasons, "; ")
}
