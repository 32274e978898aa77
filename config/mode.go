package config

// LabelMode is the namespace label that says what pullthrough does in a
// namespace. The chart's webhook configuration routes pods by it (its
// namespaceSelectors pick the enforce or the audit path, or neither), and
// the migrator reads it, so that both leave the same namespaces alone.
const LabelMode = "pullthrough.dev/mode"

// Mode is what pullthrough does with an image a mirror matches: the config's
// mode, a namespace's LabelMode value, or the webhook path a request came in on.
type Mode string

const (
	// ModeEnforce rewrites matching images.
	ModeEnforce Mode = "enforce"
	// ModeAudit computes, counts and reports rewrites but changes no image, so
	// a team can see the effect before turning it on.
	ModeAudit Mode = "audit"
	// ModeOff changes nothing in a namespace (a LabelMode value only): its
	// pods reach no webhook, and the migrator treats it as exclude.namespaces.
	ModeOff Mode = "off"
)

// ModeOf reads a namespace's LabelMode exactly as the chart's selectors do:
// "off" and "audit" are matched as written; anything else (enforce, a typo,
// no label) is enforce.
func ModeOf(labels map[string]string) Mode {
	switch m := Mode(labels[LabelMode]); m {
	case ModeOff, ModeAudit:
		return m
	}
	return ModeEnforce
}
