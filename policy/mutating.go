package policy

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/patch"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// NameRewrite names the MutatingAdmissionPolicy that rewrites images, and
// the prefix of its bindings.
const NameRewrite = "pullthrough-rewrite"

// mutatingPolicy is the MutatingAdmissionPolicy of the enforce path: it
// rewrites every slot (slotsExpr) the Go engine rewrites, records the
// originals in wellknown.AnnotationOriginalImages and adds the pull secrets.
func (g *generator) mutatingPolicy() *admissionregistrationv1.MutatingAdmissionPolicy {
	ignore := admissionregistrationv1.Ignore
	return &admissionregistrationv1.MutatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: NameRewrite, Labels: managedBy},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: podRules(),
			MatchConditions:  withCondition(g.matchConditions(), g.mayChangeCondition()),
			Variables:        g.variables(),
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: g.patchExpr()},
			}},
			// A CEL error (a cost limit, an object the expressions do not
			// expect) admits the pod unchanged, as the webhook fails open;
			// the guard policy reports such a pod.
			FailurePolicy: &ignore,
			// Run again after later mutations (an Istio injector) so that
			// their containers are rewritten too; the policy is a fixed
			// point, so a second run on its own output patches nothing.
			ReinvocationPolicy: admissionregistrationv1.IfNeededReinvocationPolicy,
		},
	}
}

// mutatingBindings bind the rewrite to the enforce namespaces.
func mutatingBindings() []*admissionregistrationv1.MutatingAdmissionPolicyBinding {
	var out []*admissionregistrationv1.MutatingAdmissionPolicyBinding
	for _, s := range enforceSelectors() {
		out = append(out, &admissionregistrationv1.MutatingAdmissionPolicyBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicyBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: NameRewrite + s.suffix, Labels: managedBy},
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
				PolicyName:     NameRewrite,
				MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: s.selector},
			},
		})
	}
	return out
}

// matchConditions leave out what the webhook leaves alone as a whole pod:
// exclude.namespaces, mirror pods and pods labelled wellknown.LabelSkip.
func (g *generator) matchConditions() []admissionregistrationv1.MatchCondition {
	conds := []admissionregistrationv1.MatchCondition{
		{Name: "not-a-mirror-pod", Expression: fmt.Sprintf("!(has(object.metadata.annotations) && %s in object.metadata.annotations)", lit(corev1.MirrorPodAnnotationKey))},
		{Name: "not-opted-out", Expression: fmt.Sprintf("!(has(object.metadata.labels) && %[1]s in object.metadata.labels && object.metadata.labels[%[1]s] == 'true')", lit(wellknown.LabelSkip))},
	}
	if g.namespaces != "" {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "not-an-excluded-namespace", Expression: fmt.Sprintf("!request.namespace.matches(%s)", lit(g.namespaces))})
	}
	return conds
}

// withCondition is conds and c, if any.
func withCondition(conds []admissionregistrationv1.MatchCondition, c *admissionregistrationv1.MatchCondition) []admissionregistrationv1.MatchCondition {
	if c == nil {
		return conds
	}
	return append(conds, *c)
}

// variables decide every slot once; the patch and its annotation read them.
func (g *generator) variables() []admissionregistrationv1.Variable {
	return []admissionregistrationv1.Variable{
		{Name: "slots", Expression: slotsExpr()},
		{Name: "decisions", Expression: "variables.slots.map(x, " + g.rules.decision("x.image") + ")"},
		{Name: "rewrites", Expression: fmt.Sprintf("variables.decisions.transformList(i, d, d.outcome == %s, {'key': variables.slots[i].key, 'path': variables.slots[i].path, 'old': variables.slots[i].image, 'image': d.image})",
			lit(string(rewrite.OutcomeRewritten)))},
		{Name: "originals", Expression: originalsExpr()},
	}
}

// ourAnnotation matches an original-images value as pullthrough writes it:
// encoding/json's output for names and references, which need no escapes.
const ourAnnotation = `^\{(?:"[-a-z0-9.:]*":"[-a-zA-Z0-9._:/@\[\]]*"(?:,"[-a-z0-9.:]*":"[-a-zA-Z0-9._:/@\[\]]*")*)?\}$`

// ourEntry is one "key":"value" pair of ourAnnotation.
const ourEntry = `"[-a-z0-9.:]*":"[-a-zA-Z0-9._:/@\[\]]*"`

// originalsExpr is the new value of wellknown.AnnotationOriginalImages, or ""
// when it does not change: the entries already there (a reinvocation, an
// earlier UPDATE) merged with this request's rewrites, the rewrite's winning
// on the same key, sorted by key, as the webhook's encoding/json writes it.
// On CREATE only entries of the pod's own slots are kept: the pod's author
// wrote the rest, as the webhook's newPodPatch says.
// The subresource stores no metadata, so it gets none.
func originalsExpr() string {
	key := lit(wellknown.AnnotationOriginalImages)
	return binds([][2]string{
		{"rOld", fmt.Sprintf("has(object.metadata.annotations) && %[1]s in object.metadata.annotations ? object.metadata.annotations[%[1]s] : ''", key)},
		{"rKept", fmt.Sprintf("rOld.matches(%s) ? rOld.findAll(%s).filter(e, !variables.rewrites.exists(w, e.startsWith('\"' + w.key + '\":')) && (request.operation != 'CREATE' || variables.slots.exists(s, e.startsWith('\"' + s.key + '\":')))) : []", lit(ourAnnotation), lit(ourEntry))},
		{"rNew", "'{' + (rKept + variables.rewrites.map(w, '\"' + w.key + '\":\"' + w.old + '\"')).sort().join(',') + '}'"},
	}, "(has(request.subResource) && request.subResource != '') || size(variables.rewrites) == 0 || rNew == rOld ? '' : rNew")
}

// patchExpr is the JSON patch: each rewritten image, the annotation, and on
// CREATE the pull secrets a pod that pulls from the proxy lacks.
func (g *generator) patchExpr() string {
	key := wellknown.AnnotationOriginalImages
	ops := []string{
		"variables.rewrites.map(w, JSONPatch{op: 'replace', path: w.path, value: w.image})",
		fmt.Sprintf("(variables.originals == '' ? [] : !has(object.metadata.annotations) ? [JSONPatch{op: 'add', path: '/metadata/annotations', value: {%s: variables.originals}}] : [JSONPatch{op: 'add', path: %s, value: variables.originals}])",
			lit(key), lit(patch.Pointer("metadata", "annotations", key))),
	}
	if len(g.pullSecrets) > 0 {
		ops = append(ops, binds([][2]string{
			{"rUses", fmt.Sprintf("request.operation == 'CREATE' && (size(variables.rewrites) > 0 || variables.decisions.exists(d, d.outcome == %s))", lit(string(rewrite.OutcomeAlreadyProxied)))},
			{"rHas", "has(object.spec.imagePullSecrets) ? object.spec.imagePullSecrets.map(s, has(s.name) ? s.name : '') : []"},
			{"rAdd", fmt.Sprintf("rUses ? %s.filter(n, !(n in rHas)) : []", list(g.pullSecrets))},
		}, "size(rAdd) == 0 ? [] : size(rHas) == 0 ? [JSONPatch{op: 'add', path: '/spec/imagePullSecrets', value: rAdd.map(n, {'name': n})}] : rAdd.map(n, JSONPatch{op: 'add', path: '/spec/imagePullSecrets/-', value: {'name': n}})"))
	}
	return strings.Join(ops, "\n+ ")
}

// dedupe keeps the first of each name, as the webhook adds each secret once.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// selector is one namespace selector of a mode, with the suffix of the
// binding that uses it.
type selector struct {
	suffix   string
	selector *metav1.LabelSelector
}

// enforceSelectors pick the enforce namespaces as the webhook configuration
// does: a label selector cannot say "absent or enforce", hence two.
func enforceSelectors() []selector {
	return []selector{
		{"", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wellknown.LabelMode, Operator: metav1.LabelSelectorOpDoesNotExist}}}},
		{"-enforce", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wellknown.LabelMode, Operator: metav1.LabelSelectorOpIn, Values: []string{string(config.ModeEnforce)}}}}},
	}
}

// podRules match what the webhook is called for: pods on CREATE and UPDATE,
// and the ephemeral containers kubectl debug adds.
func podRules() *admissionregistrationv1.MatchResources {
	equivalent := admissionregistrationv1.Equivalent
	rule := func(resource string, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: ops,
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{resource}},
		}}
	}
	return &admissionregistrationv1.MatchResources{
		MatchPolicy: &equivalent,
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("pods", admissionregistrationv1.Create, admissionregistrationv1.Update),
			rule("pods/ephemeralcontainers", admissionregistrationv1.Update),
		},
	}
}
