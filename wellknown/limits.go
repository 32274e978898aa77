package wellknown

import "strconv"

// MaxPodImages is how many images of one pod either engine decides. The
// policy engine is sure to decide this many within kube-apiserver's CEL cost
// limits whatever the references (policy.TestCostLimit); the webhook takes the
// same figure as its default (`--max-pod-images`), so that a pod is treated
// alike by both engines and no pod creator can make one request cost the
// webhook unbounded work. A pod past it is admitted as written, with
// WarningTooManyImages.
const MaxPodImages = 80

// WarningTooManyImages is the one warning of a pod with more images left as
// written than limit: count is the number as text, so that the policy
// engine can pass a CEL expression (see WarningTooManyImagesParts) where the
// webhook passes a figure.
func WarningTooManyImages(count string, limit int) string {
	before, after := WarningTooManyImagesParts(limit)
	return before + count + after
}

// WarningTooManyImagesParts is WarningTooManyImages cut around the count,
// for the policy engine's CEL message, which computes the count itself.
func WarningTooManyImagesParts(limit int) (before, after string) {
	return "pullthrough: ", " images left as written, more than the " + strconv.Itoa(limit) +
		" pullthrough decides in one pod: the pod may still pull from public registries (split it)"
}

// MaxWarnings is how many per-image warnings one answer carries by default
// (the webhook's `--max-warnings`; the policy engine's fixed number of
// warning validations); the rest are summed up by WarningMore. kubectl
// prints every warning, and each costs the answer up to 256 bytes.
const MaxWarnings = 16

// WarningMore sums up the n per-image warnings past the cap.
func WarningMore(n string) string {
	before, after := WarningMoreParts()
	return before + n + after
}

// WarningMoreParts is WarningMore cut around the number, for CEL.
func WarningMoreParts() (before, after string) {
	return "pullthrough: ... and ", " more images like these"
}
