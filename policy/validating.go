package policy

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Names of the ValidatingAdmissionPolicies (and the prefix of their bindings).
const (
	// NameAudit warns, on the audit path, what enforce would rewrite.
	NameAudit = "pullthrough-audit"
	// NameUnrouted warns about (or, under unrouted: deny, denies) images
	// from a public registry no mirror covers, on the enforce path.
	NameUnrouted = "pullthrough-unrouted"
	// NameGuard is the opt-in final-state guard: a pod in an enforce
	// namespace whose final images would still be rewritten (the rewrite did
	// not happen: a webhook that failed open, a policy past its cost limit).
	NameGuard = "pullthrough-guard"
	// NameGuardCapacity is the guard of pods too big for NameGuard: more
	// than GuaranteedImages images not rewritten.
	NameGuardCapacity = "pullthrough-guard-capacity"
)

// GuaranteedImages is how many images one pod may have and still be
// rewritten, and guarded, within kube-apiserver's CEL cost limits whatever
// its references: TestCostLimit holds the policy to it with references of
// the grammar's longest (85 of them no longer fit), and measures the limit for
// common references, several times higher. Past the limit
// both the rewrite and NameGuard fail, which failurePolicy Ignore turns
// into the pod admitted unchanged, unwarned: NameGuardCapacity counts a
// pod's images, which costs little per image, and catches it. It is
// wellknown.MaxPodImages, the webhook's default cap too.
const GuaranteedImages = wellknown.MaxPodImages

// maxWarnings is how many per-image warnings a policy sends: a policy has a
// fixed list of validations, each at most one warning, so the first
// maxWarnings images get the webhook's line each and the rest one summary
// (wellknown.WarningMore), as the webhook's default does.
const maxWarnings = wellknown.MaxWarnings

// Guard says whether and how the final-state guard acts.
type Guard string

// Guard values.
const (
	GuardOff  Guard = "off"
	GuardWarn Guard = "warn" // warn the client and record it in the audit log
	GuardDeny Guard = "deny"
)

// warningValidations send variables.warnings one per validation.
func warningValidations() []admissionregistrationv1.Validation {
	var out []admissionregistrationv1.Validation
	for i := range maxWarnings {
		out = append(out, admissionregistrationv1.Validation{
			Expression:        fmt.Sprintf("size(variables.warnings) <= %d", i),
			MessageExpression: fmt.Sprintf("variables.warnings[%d]", i),
		})
	}
	before, after := wellknown.WarningMoreParts()
	return append(out, admissionregistrationv1.Validation{
		Expression:        fmt.Sprintf("size(variables.warnings) <= %d", maxWarnings),
		MessageExpression: fmt.Sprintf("%s + string(size(variables.warnings) - %d) + %s", lit(before), maxWarnings, lit(after)),
	})
}

// The policies' warnings for each outcome: the webhook's texts. On the audit
// path the policy decides as enforce would (rewritten) and words it as the
// webhook's audit path does.
var (
	auditWarnings    = map[rewrite.Outcome]wellknown.Warning{rewrite.OutcomeRewritten: wellknown.WarningAudit, rewrite.OutcomeUnroutedPublic: wellknown.WarningUnrouted}
	unroutedWarnings = map[rewrite.Outcome]wellknown.Warning{rewrite.OutcomeUnroutedPublic: wellknown.WarningUnrouted}
)

// validatingPolicies are the audit path, the unrouted check and the guard.
func (g *generator) validatingPolicies(cfg *config.Config, guard Guard) ([]*admissionregistrationv1.ValidatingAdmissionPolicy, []*admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	warn := []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}
	unknown := admissionregistrationv1.Validation{
		Expression: fmt.Sprintf("!has(namespaceObject.metadata.labels) || !(%[1]s in namespaceObject.metadata.labels) || namespaceObject.metadata.labels[%[1]s] in %[2]s",
			lit(wellknown.LabelMode), list([]string{string(config.ModeEnforce), string(config.ModeAudit), string(config.ModeOff)})),
		Message: wellknown.WarningUnknownMode,
	}
	// The audit path's pods are not rewritten, and it warns about an
	// unknown mode label whatever the images: no skipping there.
	audit := g.validating(NameAudit, g.decided(admissionregistrationv1.Variable{Name: "warnings", Expression: warningsExpr(auditWarnings)}),
		append([]admissionregistrationv1.Validation{unknown}, warningValidations()...), nil)
	auditSelectors := []selector{
		{"", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wellknown.LabelMode, Operator: metav1.LabelSelectorOpIn, Values: []string{string(config.ModeAudit)}}}}},
		{"-unknown-mode", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wellknown.LabelMode, Operator: metav1.LabelSelectorOpExists},
			{Key: wellknown.LabelMode, Operator: metav1.LabelSelectorOpNotIn, Values: []string{string(config.ModeEnforce), string(config.ModeAudit), string(config.ModeOff)}}}}},
	}
	if cfg.Mode == config.ModeAudit {
		auditSelectors = append(auditSelectors, enforceSelectors()...)
		for i := range enforceSelectors() {
			auditSelectors[2+i].suffix = "-enforce-namespaces" + auditSelectors[2+i].suffix
		}
	}
	policies := []*admissionregistrationv1.ValidatingAdmissionPolicy{audit}
	bindings := validatingBindings(NameAudit, auditSelectors, warn)
	if cfg.Mode != config.ModeEnforce {
		return policies, bindings
	}
	// On the enforce path the pod is the rewrite's output: the images it
	// rewrote are settled, and a pod with nothing else is skipped.
	mayWarn := g.mayWarnCondition()
	if cfg.Unrouted == config.UnroutedDeny {
		deny := admissionregistrationv1.Validation{
			Expression:        fmt.Sprintf("!variables.decisions.exists(d, d.outcome == %s)", lit(string(rewrite.OutcomeUnroutedPublic))),
			MessageExpression: listExpr(wellknown.DenialUnrouted, rewrite.OutcomeUnroutedPublic),
		}
		policies = append(policies, g.validating(NameUnrouted, g.unsettled(), []admissionregistrationv1.Validation{deny}, mayWarn))
		bindings = append(bindings, validatingBindings(NameUnrouted, enforceSelectors(), []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny})...)
	} else {
		policies = append(policies, g.validating(NameUnrouted, g.unsettled(admissionregistrationv1.Variable{Name: "warnings",
			Expression: warningsExpr(unroutedWarnings)}), warningValidations(), mayWarn))
		bindings = append(bindings, validatingBindings(NameUnrouted, enforceSelectors(), warn)...)
	}
	if guard == GuardOff {
		return policies, bindings
	}
	policies = append(policies, g.validating(NameGuard, g.unsettled(guardVariables()...), []admissionregistrationv1.Validation{{
		Expression:        "size(variables.unrewritten) == 0",
		MessageExpression: fmt.Sprintf("%s + variables.unrewritten.join(%s)", lit(wellknown.WarningGuard.Prefix), lit(wellknown.WarningGuard.Sep)),
	}}, mayWarn))
	capacityVars, capacity := capacityCheck(g.rules.targetHosts())
	policies = append(policies, g.validating(NameGuardCapacity, capacityVars, capacity, nil))
	actions := []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit}
	if guard == GuardDeny {
		actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	}
	bindings = append(bindings, validatingBindings(NameGuard, enforceSelectors(), actions)...)
	return policies, append(bindings, validatingBindings(NameGuardCapacity, enforceSelectors(), actions)...)
}

// decided are the variables slots and decisions (every image the request
// sets, decided as the rewrite decides it), then vars.
func (g *generator) decided(vars ...admissionregistrationv1.Variable) []admissionregistrationv1.Variable {
	return append(slices.Clip(g.variables()[:2]), vars...)
}

// unsettled are decided's variables with only the images that are not
// settled in slots: the others need no word.
func (g *generator) unsettled(vars ...admissionregistrationv1.Variable) []admissionregistrationv1.Variable {
	out := g.decided(vars...)
	out[0].Expression = g.unsettledSlotsExpr()
	return out
}

// validating is one ValidatingAdmissionPolicy over pods, with the rewrite's
// match conditions (what the webhook never looks at, it never warns about)
// and skip, if any.
func (g *generator) validating(name string, vars []admissionregistrationv1.Variable, validations []admissionregistrationv1.Validation, skip *admissionregistrationv1.MatchCondition) *admissionregistrationv1.ValidatingAdmissionPolicy {
	ignore := admissionregistrationv1.Ignore
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: managedBy},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: podRules(),
			MatchConditions:  withCondition(g.matchConditions(), skip),
			Variables:        vars,
			Validations:      validations,
			FailurePolicy:    &ignore,
		},
	}
}

func validatingBindings(policy string, selectors []selector, actions []admissionregistrationv1.ValidationAction) []*admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	var out []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	for _, s := range selectors {
		out = append(out, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: policy + s.suffix, Labels: managedBy},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				PolicyName:        policy,
				MatchResources:    &admissionregistrationv1.MatchResources{NamespaceSelector: s.selector},
				ValidationActions: actions,
			},
		})
	}
	return out
}

// capacityCheck fails for a pod with more than GuaranteedImages images not
// on any of hosts (the mirrors' target hosts as written, which every
// rewritten image starts with), without deciding a single reference: a pod
// past the rewrite's cost limit. It counts the images themselves rather than
// trusting wellknown.AnnotationOriginalImages, which the pod's author can
// write. A big pod whose images no mirror covers is reported too; the
// message says it may still pull from public registries. One startsWith per
// image and host (not per target) keeps it within the per-call cost limit
// for the largest pod the API server accepts (TestCapacityGuard).
func capacityCheck(hosts []string) ([]admissionregistrationv1.Variable, []admissionregistrationv1.Validation) {
	var counts []string
	for _, l := range podspec.Locations {
		list := "object.spec." + l.Field
		// Every container names an image; of the volumes, image volumes.
		total := "size(" + list + ")"
		if len(l.ImagePath) > 1 {
			total = fmt.Sprintf("%s.filter(c, has(c.%s)).size()", list, l.ImagePath[0])
		}
		var present, onProxy []string
		for i := range l.ImagePath {
			present = append(present, "has(c."+strings.Join(l.ImagePath[:i+1], ".")+")")
		}
		for _, h := range hosts {
			onProxy = append(onProxy, fmt.Sprintf("c.%s.startsWith(%s)", strings.Join(l.ImagePath, "."), lit(h+"/")))
		}
		// Filtering costs per element kept, so the images on the proxy are
		// counted and taken away: a pod of public images costs least.
		proxied := "0"
		if len(onProxy) > 0 {
			proxied = fmt.Sprintf("%s.filter(c, %s && (%s)).size()", list, strings.Join(present, " && "), strings.Join(onProxy, " || "))
		}
		counts = append(counts, fmt.Sprintf("(has(%s) ? %s - %s : 0)", list, total, proxied))
	}
	before, after := wellknown.WarningTooManyImagesParts(GuaranteedImages)
	return []admissionregistrationv1.Variable{{Name: "unrewritten", Expression: strings.Join(counts, " + ")}},
		[]admissionregistrationv1.Validation{{
			Expression:        fmt.Sprintf("variables.unrewritten <= %d", GuaranteedImages),
			MessageExpression: fmt.Sprintf("%s + string(variables.unrewritten) + %s", lit(before), lit(after)),
		}}
}

// guardVariables are the guard's: the entries of the webhook's not-served
// record (wellknown.AnnotationNotServed, "key":"reference the proxy refused"),
// and the slots that would still be rewritten, less those the record names
// with the very reference they would be rewritten to: an image the webhook
// left as written because the proxy does not serve it is no missed rewrite.
// The record is the pod's author's to write, as the skip label is, which
// leaves a pod alone altogether; so it lets through no more than that label.
func guardVariables() []admissionregistrationv1.Variable {
	key := lit(wellknown.AnnotationNotServed)
	return []admissionregistrationv1.Variable{
		{Name: "notServed", Expression: fmt.Sprintf("has(object.metadata.annotations) && %[1]s in object.metadata.annotations && object.metadata.annotations[%[1]s].matches(%[2]s) ? object.metadata.annotations[%[1]s].findAll(%[3]s) : []",
			key, lit(ourAnnotation), lit(ourEntry))},
		{Name: "unrewritten", Expression: fmt.Sprintf(`variables.decisions.transformList(i, d, d.outcome == %s && !(('"' + variables.slots[i].key + '":"' + d.image + '"') in variables.notServed), %s)`,
			lit(string(rewrite.OutcomeRewritten)), celText(wellknown.WarningGuard.Item, "variables.slots[i]", "d"))},
	}
}
