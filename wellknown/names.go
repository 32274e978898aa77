package wellknown

// Labels pullthrough reads.
const (
	// LabelMode on a namespace picks the webhook path its pods go to and
	// how the migrator treats it: absent or "enforce" rewrite, "audit"
	// computes and warns, "off" leaves alone; any other value audits (a
	// typo must never enforce).
	LabelMode = "pullthrough.dev/mode"
	// LabelSkip = "true" on a pod opts it out (the chart's objectSelector
	// also keeps such pods from reaching the webhook at all).
	LabelSkip = "pullthrough.dev/skip"
)

// The chart's name label, on every object and pod template it renders: the
// migrator never plans an object of a pullthrough release, the webhook and
// node agent included, whatever namespace it runs in.
const (
	LabelAppName = "app.kubernetes.io/name"
	AppName      = "pullthrough"
)

// WarningUnknownMode is the warning of every pod admitted in a namespace
// whose wellknown.LabelMode value is not a mode, by either engine (the
// webhook's unknown-mode path, the policy engine's audit policy): the person
// whose pod was left alone learns why.
const WarningUnknownMode = "pullthrough: the namespace label pullthrough.dev/mode is not enforce, audit or off; treated as audit, nothing changed"

// Annotations pullthrough writes. Each holds a JSON object with sorted keys.
const (
	// AnnotationOriginalImages records on a rewritten pod what each image
	// asked for: container name, or volume:NAME for an image volume, to the
	// original reference; so a person can see and undo it.
	AnnotationOriginalImages = "pullthrough.dev/original-images"
	// AnnotationWouldRewrite records on the audit path, with the same keys,
	// the image enforce would use.
	AnnotationWouldRewrite = "pullthrough.dev/would-rewrite"
	// AnnotationNotServed records, with the same keys, the proxy's reference
	// an image was not rewritten to because the proxy was not known to serve
	// it (outcome not-served): what to warm, and what the final-state guard
	// lets pass.
	AnnotationNotServed = "pullthrough.dev/not-served"
	// AnnotationMigratedImages records on every object the migrator patched
	// the original of each value it replaced, keyed by JSON pointer; undo
	// restores from it.
	AnnotationMigratedImages = "pullthrough.dev/migrated-images"
)

// The copies of the proxy's pull secret that the replicator (`pullthrough
// webhook --replicate-pull-secret`) writes into the namespaces whose pods are
// rewritten. It touches only Secrets that carry LabelCopiedFrom with its own
// source namespace, so a Secret of the same name that someone else wrote is
// never overwritten or deleted, and two releases never fight.
const (
	// LabelCopiedFrom on a Secret names the namespace of the source it is a
	// copy of.
	LabelCopiedFrom = "pullthrough.dev/copied-from"
	// AnnotationSourceHash on a copy is the SHA-256 of the source's type and
	// data it holds: a copy whose hash differs from the source's is rewritten
	// (a rotation), without the replicator reading the copy's data.
	AnnotationSourceHash = "pullthrough.dev/source-hash"
)
