package deploy

import (
	"fmt"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestWebhookSafety checks the settings of every webhook that decide what a
// broken, slow or reinvoked webhook can do to the cluster's pods.
func TestWebhookSafety(t *testing.T) {
	t.Parallel()
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, load(t, manifestsFile))
	if len(mwc.Webhooks) != len(webhookPaths) {
		t.Fatalf("want %d webhooks (enforce, labelled or not; audit; an unknown mode), got %d", len(webhookPaths), len(mwc.Webhooks))
	}
	tests := []struct {
		name string
		// ok reports what is wrong with one webhook, or "".
		ok func(w admissionregistrationv1.MutatingWebhook) string
	}{
		// A webhook that is down must let pods start: pods then pull from
		// the public registry, as they did before pullthrough.
		{"failurePolicy Ignore", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.FailurePolicy, admissionregistrationv1.Ignore)
		}},
		// A slow webhook costs each pod creation at most 5 seconds.
		{"timeoutSeconds 5", func(w admissionregistrationv1.MutatingWebhook) string { return want(w.TimeoutSeconds, 5) }},
		// Sidecars injected by later webhooks (Istio) are rewritten on reinvocation.
		{"reinvocationPolicy IfNeeded", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.ReinvocationPolicy, admissionregistrationv1.IfNeededReinvocationPolicy)
		}},
		// Dry-run requests are sent too and answered alike.
		{"sideEffects None", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.SideEffects, admissionregistrationv1.SideEffectClassNone)
		}},
		{"matchPolicy Equivalent", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.MatchPolicy, admissionregistrationv1.Equivalent)
		}},
		// The handler decodes admission.k8s.io/v1 only.
		{"admissionReviewVersions v1", func(w admissionregistrationv1.MutatingWebhook) string {
			return wantEqual(w.AdmissionReviewVersions, []string{"v1"})
		}},
		// kubectl debug adds containers through the subresource; missing it
		// would let an ephemeral container pull from the public registry.
		{"rules: pods CREATE/UPDATE, pods/ephemeralcontainers UPDATE", func(w admissionregistrationv1.MutatingWebhook) string {
			return wantEqual(ruleSet(w.Rules), []string{"CREATE pods", "UPDATE pods", "UPDATE pods/ephemeralcontainers"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, w := range mwc.Webhooks {
				if problem := tt.ok(w); problem != "" {
					t.Errorf("%s: %s", w.Name, problem)
				}
			}
		})
	}
	t.Run("one webhook per path", func(t *testing.T) {
		t.Parallel()
		paths := map[string]string{}
		for _, w := range mwc.Webhooks {
			if s := w.ClientConfig.Service; s != nil && s.Path != nil {
				paths[w.Name] = *s.Path
			}
		}
		if problem := wantEqual(paths, webhookPaths); problem != "" {
			t.Error(problem)
		}
	})
}

// webhookPaths is the path each webhook calls. A label selector cannot say
// "absent or enforce", so enforce takes two webhooks; an unknown mode has its
// own path, which audits and warns that the label is not a mode.
var webhookPaths = map[string]string{
	"enforce.pullthrough.dev":          "/mutate-pods",
	"enforce-labelled.pullthrough.dev": "/mutate-pods",
	"audit.pullthrough.dev":            "/audit-pods",
	"unknown-mode.pullthrough.dev":     "/audit-pods-unknown-mode",
}

// modeOfWebhook is the mode each webhook applies ("": none, off).
var modeOfWebhook = map[string]config.Mode{
	"enforce.pullthrough.dev":          config.ModeEnforce,
	"enforce-labelled.pullthrough.dev": config.ModeEnforce,
	"audit.pullthrough.dev":            config.ModeAudit,
	"unknown-mode.pullthrough.dev":     config.ModeAudit,
	"":                                 config.ModeOff,
}

// want compares an optional field with the value it must have.
func want[T comparable](got *T, value T) string {
	if got == nil {
		return fmt.Sprintf("unset, want %v", value)
	}
	if *got != value {
		return fmt.Sprintf("%v, want %v", *got, value)
	}
	return ""
}

// wantEqual compares two values by their printed form, which suffices for
// the slices and maps compared here.
func wantEqual(got, value any) string {
	if g, w := fmt.Sprint(got), fmt.Sprint(value); g != w {
		return fmt.Sprintf("%s, want %s", g, w)
	}
	return ""
}

// ruleSet flattens webhook rules into sorted "OPERATION resource" lines,
// checking that each is for namespaced core/v1 objects.
func ruleSet(rules []admissionregistrationv1.RuleWithOperations) []string {
	var set []string
	for _, r := range rules {
		core := slices.Equal(r.APIGroups, []string{""}) && slices.Equal(r.APIVersions, []string{"v1"}) &&
			r.Scope != nil && *r.Scope == admissionregistrationv1.NamespacedScope
		for _, op := range r.Operations {
			for _, res := range r.Resources {
				line := string(op) + " " + res
				if !core {
					line += " (not namespaced core/v1)"
				}
				set = append(set, line)
			}
		}
	}
	slices.Sort(set)
	return set
}

// TestRouting evaluates the webhooks' selectors as the API server does:
// which webhook, if any, sees a pod in a namespace with given labels.
func TestRouting(t *testing.T) {
	t.Parallel()
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, load(t, manifestsFile))
	tests := []struct {
		name      string
		namespace string
		mode      config.Mode // the wellknown.LabelMode label; "" for none
		podLabels map[string]string
		want      string // the webhook that sees the pod; "" for none
	}{
		{name: "unlabelled namespace is enforced", namespace: "shop", want: "enforce.pullthrough.dev"},
		{name: "explicit enforce", namespace: "shop", mode: config.ModeEnforce, want: "enforce-labelled.pullthrough.dev"},
		{name: "audit namespace", namespace: "shop", mode: config.ModeAudit, want: "audit.pullthrough.dev"},
		{name: "off namespace", namespace: "shop", mode: config.ModeOff},
		// A mistyped label must never enforce: it audits (changes nothing)
		// and warns.
		{name: "Audit, capitalised", namespace: "shop", mode: "Audit", want: "unknown-mode.pullthrough.dev"},
		{name: "audti, mistyped", namespace: "shop", mode: "audti", want: "unknown-mode.pullthrough.dev"},
		{name: "disabled, not a mode", namespace: "shop", mode: "disabled", want: "unknown-mode.pullthrough.dev"},
		{name: "empty value", namespace: "shop", mode: "=", want: "unknown-mode.pullthrough.dev"},
		{name: "release namespace with an unknown mode", namespace: releaseNamespace, mode: "Audit"},
		// The incident: kube-system's CNI and DNS images must be rewritten too.
		{name: "kube-system is not excluded implicitly", namespace: "kube-system", want: "enforce.pullthrough.dev"},
		// The webhook must never admit its own pods, whatever the label says.
		{name: "release namespace", namespace: releaseNamespace},
		{name: "release namespace labelled audit", namespace: releaseNamespace, mode: config.ModeAudit},
		{name: "release namespace labelled enforce", namespace: releaseNamespace, mode: config.ModeEnforce},
		{name: "pod opted out", namespace: "shop", podLabels: map[string]string{"pullthrough.dev/skip": "true"}},
		{name: "skip label with another value", namespace: "shop", podLabels: map[string]string{"pullthrough.dev/skip": "no"}, want: "enforce.pullthrough.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nsLabels := labels.Set{"kubernetes.io/metadata.name": tt.namespace}
			switch tt.mode {
			case "":
			case "=": // present with an empty value
				nsLabels[wellknown.LabelMode] = ""
			default:
				nsLabels[wellknown.LabelMode] = string(tt.mode)
			}
			var matched []string
			for _, w := range mwc.Webhooks {
				if selects(t, w.NamespaceSelector, nsLabels) && selects(t, w.ObjectSelector, tt.podLabels) {
					matched = append(matched, w.Name)
				}
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(matched, want) {
				t.Errorf("matched by %v, want %v", matched, want)
			}
			// The migrator reads the label with config.ModeOf: it must
			// leave alone the namespaces the webhooks leave alone.
			if tt.namespace == releaseNamespace || tt.podLabels != nil {
				return
			}
			mode, known := config.ModeOf(nsLabels)
			if wantMode := modeOfWebhook[tt.want]; mode != wantMode || known != (tt.want != "unknown-mode.pullthrough.dev") {
				t.Errorf("config.ModeOf = %s (known %v); the chart routes to %q (%s)", mode, known, tt.want, wantMode)
			}
		})
	}
}

// selects evaluates a webhook selector; a nil one selects everything.
func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labels.Set(set))
}
