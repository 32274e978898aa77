package rewrite

// Outcome says what happened to one image and why. The set is closed: metrics
// use it as a label value, so it must stay small and stable.
type Outcome string

// The outcomes, in the words used by --explain, logs, metrics and warnings.
const (
	// OutcomeRewritten: the image now points at the proxy.
	OutcomeRewritten Outcome = "rewritten"
	// OutcomeAlreadyProxied: the image is already under a mirror's target.
	OutcomeAlreadyProxied Outcome = "already-proxied"
	// OutcomeNoRule: no mirror's source matches the image, and its registry
	// is not a listed public registry (an internal image).
	OutcomeNoRule Outcome = "no-rule"
	// OutcomeUnroutedPublic: no mirror's source matches the image, and its
	// registry is a listed public registry: the node pulls it from the
	// internet. Counted, warned about and planned for, so that a cluster's
	// remaining public dependencies are seen; optionally denied.
	OutcomeUnroutedPublic Outcome = "unrouted-public"
	// OutcomeExcludedImage: the image matches an exclude.images glob.
	OutcomeExcludedImage Outcome = "excluded-image"
	// OutcomeExcludedNamespace: the object lives in an exclude.namespaces namespace.
	OutcomeExcludedNamespace Outcome = "excluded-namespace"
	// OutcomeOptedOut: the pod opted out (skip label) or is a mirror pod.
	OutcomeOptedOut Outcome = "opted-out"
	// OutcomeUnparseable: the image is not a valid reference; it is left for
	// the kubelet to report.
	OutcomeUnparseable Outcome = "unparseable"
	// OutcomeInvalidResult: the rewrite would not be a valid reference
	// (too long, for one), so the image is left alone.
	OutcomeInvalidResult Outcome = "invalid-result"
	// OutcomeAudit: the image would be rewritten, but audit mode changes nothing.
	OutcomeAudit Outcome = "audit"
	// OutcomeProxyUnhealthy: the image would be rewritten, but the proxy is
	// down and the config fails open.
	OutcomeProxyUnhealthy Outcome = "proxy-unhealthy"
	// OutcomeNotServed: the image would be rewritten, but the proxy is not
	// known to serve the rewritten reference (it answered that it does not
	// have it, or gave no answer in time and the config leaves such images
	// direct), so the image is left as written: pointing a pod at a
	// reference the proxy does not serve would be why it fails to start.
	OutcomeNotServed Outcome = "not-served"
	// OutcomeNoPullSecret: the image would be rewritten, but the proxy needs
	// credentials (the config names imagePullSecrets) and the pod's namespace
	// lacks one of those Secrets: pointed at the proxy, the pod could not
	// pull, so the image is left as written.
	OutcomeNoPullSecret Outcome = "no-pull-secret"
)

// Outcomes lists every Outcome, so that metrics can be initialised and tests
// can check that the set stays closed.
var Outcomes = []Outcome{
	OutcomeRewritten, OutcomeAlreadyProxied, OutcomeNoRule, OutcomeUnroutedPublic, OutcomeExcludedImage,
	OutcomeExcludedNamespace, OutcomeOptedOut, OutcomeUnparseable,
	OutcomeInvalidResult, OutcomeAudit, OutcomeProxyUnhealthy, OutcomeNotServed, OutcomeNoPullSecret,
}

// ThroughProxy reports whether an image with this outcome is pulled through
// the proxy: rewritten now, or already under a mirror's target. Such an image
// needs the proxy's pull secrets and is what a preflight checks.
func (o Outcome) ThroughProxy() bool {
	return o == OutcomeRewritten || o == OutcomeAlreadyProxied
}

// Withheld turns a rewrite into the same decision withheld for why (for
// OutcomeNotServed, decided after the rewrite by asking the proxy): the image
// stays original, the rewrite becomes the proposal, the rule is kept, so the
// image is counted under the same registry. Any other result is returned as
// it is.
func (r Result) Withheld(original string, why Outcome) Result {
	if r.Outcome != OutcomeRewritten {
		return r
	}
	r.Proposed, r.Image, r.Outcome = r.Image, original, why
	return r
}
