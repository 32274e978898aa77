package config

import "github.com/pullthrough/pullthrough/wellknown"

// Mode is what pullthrough does with an image a mirror matches: the config's
// mode, a namespace's wellknown.LabelMode value, or the webhook path a request came in on.
type Mode string

const (
	// ModeEnforce rewrites matching images.
	ModeEnforce Mode = "enforce"
	// ModeAudit computes, counts and reports rewrites but changes no image, so
	// a team can see the effect before turning it on.
	ModeAudit Mode = "audit"
	// ModeOff changes nothing in a namespace (a wellknown.LabelMode value only): its
	// pods reach no webhook, and the migrator treats it as exclude.namespaces.
	ModeOff Mode = "off"
)

// ModeOf reads a namespace's wellknown.LabelMode exactly as the chart's selectors
// route it: no label or "enforce" is enforce, "off" off, "audit" audit, and
// any other value (Audit, audti, disabled, empty) audit with known false: a
// typo must never enforce, and a reader reports it.
func ModeOf(labels map[string]string) (mode Mode, known bool) {
	value, ok := labels[wellknown.LabelMode]
	if !ok {
		return ModeEnforce, true
	}
	switch m := Mode(value); m {
	case ModeEnforce, ModeOff, ModeAudit:
		return m, true
	}
	return ModeAudit, false
}
