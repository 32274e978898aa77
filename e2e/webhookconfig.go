package e2e

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/webhook"
)

// Names shared by the chart, the tests and the demo.
const (
	// ModeLabel on a namespace picks the path: off, audit or enforce (default).
	ModeLabel = "pullthrough.dev/mode"
	// ReleaseNamespace is where pullthrough itself runs; it matches neither webhook.
	ReleaseNamespace = "pullthrough-system"
)

// WebhookConfig is the MutatingWebhookConfiguration the chart installs,
// with service references that e2e/cluster turns into loopback URLs.
func WebhookConfig() *admissionregistrationv1.MutatingWebhookConfiguration {
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "pullthrough"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{
			podWebhook("enforce.pullthrough.dev", webhook.PathMutate, metav1.LabelSelectorOpNotIn, "off", "audit"),
			podWebhook("audit.pullthrough.dev", webhook.PathAudit, metav1.LabelSelectorOpIn, "audit"),
		},
	}
}

// podWebhook is one entry: the pod rules, the safety settings and a
// namespace selector on the mode label that always drops the release namespace.
func podWebhook(name, path string, op metav1.LabelSelectorOperator, modes ...string) admissionregistrationv1.MutatingWebhook {
	ignore := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	ifNeeded := admissionregistrationv1.IfNeededReinvocationPolicy
	timeout := int32(5)
	return admissionregistrationv1.MutatingWebhook{
		Name: name,
		ClientConfig: admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: ReleaseNamespace, Name: "pullthrough", Path: &path},
		},
		Rules: []admissionregistrationv1.RuleWithOperations{
			podRule("pods", admissionregistrationv1.Create, admissionregistrationv1.Update),
			podRule("pods/ephemeralcontainers", admissionregistrationv1.Update),
		},
		NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: ModeLabel, Operator: op, Values: modes},
			{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{ReleaseNamespace}},
		}},
		ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: webhook.LabelSkip, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"}},
		}},
		FailurePolicy:           &ignore,
		SideEffects:             &none,
		ReinvocationPolicy:      &ifNeeded,
		TimeoutSeconds:          &timeout,
		AdmissionReviewVersions: []string{"v1"},
	}
}

func podRule(resource string, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.RuleWithOperations {
	namespaced := admissionregistrationv1.NamespacedScope
	return admissionregistrationv1.RuleWithOperations{
		Operations: ops,
		Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{resource}, Scope: &namespaced,
		},
	}
}
