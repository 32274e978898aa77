package config

import "github.com/pullthrough/pullthrough/wellknown"

// Mode is what pullthrough does with an image a mirror matches: the config's
// mode (enforce or audit), a namespace's wellknown.LabelMode value (also off),
// and, from both, the mode in force in a namespace (ModeIn).
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

// ModeIn is the one answer to "what does pullthrough do in this namespace?",
// given the namespace's mode as ModeOf reads its label (or as the webhook
// path the API server routed a request to stands for it): off stays off; an
// audit namespace, or any value that is not a mode, audits; an enforce
// namespace follows the config, so a config in audit mode audits everywhere.
// The webhook, the migrator and selftest's expectation all ask it.
func (c *Config) ModeIn(ns Mode) Mode {
	switch {
	case ns == ModeOff:
		return ModeOff
	case ns != ModeEnforce || c.Mode == ModeAudit:
		return ModeAudit // a typo must never enforce
	}
	return ModeEnforce
}
