package deploy

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/policy"
)

// writesPolicy is the ValidatingAdmissionPolicy of a rendered file that
// holds its ServiceAccount's writes (templates/serviceaccount-policies.yaml).
func writesPolicy(t *testing.T, file, name string) *admissionregistrationv1.ValidatingAdmissionPolicy {
	t.Helper()
	for _, p := range all[*admissionregistrationv1.ValidatingAdmissionPolicy](load(t, file)) {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s: no ValidatingAdmissionPolicy %s", file, name)
	return nil
}

// TestWebhookWritesComparesEveryField: the webhook's policy lets an update
// through only when every field of every webhook but clientConfig.caBundle
// is unchanged; a field the API has and the policy does not compare could be
// changed with a stolen token. The fields are read from the API types, so a
// field a later API version adds fails this test until the chart compares it.
func TestWebhookWritesComparesEveryField(t *testing.T) {
	t.Parallel()
	p := writesPolicy(t, manifestsFile, "pullthrough-webhook-writes")
	var exprs strings.Builder
	for _, v := range p.Spec.Validations {
		exprs.WriteString(v.Expression + "\n")
	}
	want := func(prefix string, typ reflect.Type, skip string) {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == skip {
				continue
			}
			if cmp := prefix + ".?" + name + " == " + strings.Replace(prefix, "w", "o", 1) + ".?" + name; !strings.Contains(exprs.String(), cmp) {
				t.Errorf("%s: no %q: a stolen token could change %s", p.Name, cmp, strings.TrimPrefix(prefix+"."+name, "w."))
			}
		}
	}
	want("w", reflect.TypeFor[admissionregistrationv1.MutatingWebhook](), "clientConfig")
	want("w.clientConfig", reflect.TypeFor[admissionregistrationv1.WebhookClientConfig](), "caBundle")
}

// attempt is one write tried as a ServiceAccount, and what must come of it.
type attempt struct {
	name string
	do   func(ctx context.Context) error
	deny string // "" when allowed, else a part of the policy's message
}

// tryAll makes each attempt and checks that it is allowed or denied by the
// policy, as it wants.
func tryAll(t *testing.T, attempts []attempt) {
	t.Helper()
	for _, a := range attempts {
		err := a.do(t.Context())
		switch {
		case a.deny == "" && err != nil:
			t.Errorf("%s: %v, want it allowed", a.name, err)
		case a.deny != "" && (err == nil || !strings.Contains(err.Error(), a.deny)):
			t.Errorf("%s: %v, want it denied with %q", a.name, err, a.deny)
		}
	}
}

// untilDenied retries a forbidden write until the API server enforces the
// policy (it loads new policies asynchronously), so that the attempts after
// it meet the policy in force.
func untilDenied(t *testing.T, a attempt) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := a.do(ctx)
		return err != nil && strings.Contains(err.Error(), a.deny), nil
	})
	if err != nil {
		t.Fatalf("%s: not denied within a minute: the policy is not in force", a.name)
	}
}

// TestWebhookWrites installs the default rendering (self-signed mode) on a
// real API server and, as the webhook's ServiceAccount, updates its own
// MutatingWebhookConfiguration: setting caBundle, which the certificate
// rotation does, is allowed; each other change RBAC would let through (it
// grants update by name) is denied.
func TestWebhookWrites(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	dep, user := installAsServiceAccount(t, c, load(t, manifestsFile))
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	sa, err := kubernetes.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	name := dep.Name
	// update reads the configuration as the admin (the ServiceAccount may
	// only list and watch), changes it and updates it as the ServiceAccount.
	update := func(change func(*admissionregistrationv1.MutatingWebhookConfiguration)) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			mwc, err := admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			change(mwc)
			_, err = sa.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{})
			return err
		}
	}
	const onlyCABundle = "may change only clientConfig.caBundle"
	failClosed := attempt{"failurePolicy Fail", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
		m.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}), onlyCABundle}
	untilDenied(t, failClosed)
	tryAll(t, []attempt{
		{"caBundle set", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			for i := range m.Webhooks {
				m.Webhooks[i].ClientConfig.CABundle = []byte("-----BEGIN CERTIFICATE-----\n")
			}
		}), ""},
		failClosed,
		{"a rule on Secrets", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks[0].Rules = append(m.Webhooks[0].Rules, admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
			})
		}), onlyCABundle},
		{"namespaceSelector dropped", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks[0].NamespaceSelector = &metav1.LabelSelector{}
		}), onlyCABundle},
		{"timeoutSeconds", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks[0].TimeoutSeconds = ptr.To[int32](30)
		}), onlyCABundle},
		{"clientConfig.url", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://attacker.example/"), CABundle: m.Webhooks[0].ClientConfig.CABundle}
		}), onlyCABundle},
		{"a webhook dropped", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks = m.Webhooks[1:]
		}), onlyCABundle},
		{"a webhook renamed", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Webhooks[0].Name = "other.pullthrough.dev"
		}), onlyCABundle},
		{"an annotation added", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			metav1.SetMetaDataAnnotation(&m.ObjectMeta, "cert-manager.io/inject-ca-from", "elsewhere/ca")
		}), "may not change the labels, annotations"},
	})
}

// TestPolicyEngineWrites installs the policy engine's rendering on a real
// API server and, as its ServiceAccount, creates admission policies (as a
// server-side dry run, which admission sees like any write): every object
// `pullthrough policy` generates is allowed; a policy or binding of another
// name, a policy over anything but pods, and params are denied, though RBAC
// allows any create.
func TestPolicyEngineWrites(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	if !c.ServesAdmissionPolicies(t) {
		return
	}
	_, user := installAsServiceAccount(t, c, load(t, policyFile))
	sa, err := kubernetes.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	api := sa.AdmissionregistrationV1()
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	validating := func(name string, change func(*admissionregistrationv1.ValidatingAdmissionPolicy)) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			p := &admissionregistrationv1.ValidatingAdmissionPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
					MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
						RuleWithOperations: admissionregistrationv1.RuleWithOperations{
							Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
							Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
						},
					}}},
					Validations: []admissionregistrationv1.Validation{{Expression: "false"}},
				},
			}
			change(p)
			_, err := api.ValidatingAdmissionPolicies().Create(ctx, p, dryRun)
			return err
		}
	}
	binding := func(name, policyName string, params *admissionregistrationv1.ParamRef) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
					PolicyName: policyName, ParamRef: params, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
				},
			}
			_, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, b, dryRun)
			return err
		}
	}
	unchanged := func(*admissionregistrationv1.ValidatingAdmissionPolicy) {}
	const (
		onlyGenerated = "may write only the admission policies pullthrough generates"
		onlyPods      = "may write policies over pods only"
		onlyBind      = "may bind only the admission policies pullthrough generates"
	)
	denyAll := attempt{"a deny-all policy of another name", validating("deny-everything", unchanged), onlyGenerated}
	untilDenied(t, denyAll)
	attempts := []attempt{
		denyAll,
		{"a binding of another name", binding("deny-everything", policy.NameGuard, nil), onlyGenerated},
		{"a binding of another policy", binding(policy.NameGuard, "deny-everything", nil), onlyBind},
		{"a binding with params", binding(policy.NameGuard, policy.NameGuard, &admissionregistrationv1.ParamRef{Name: "x"}), onlyBind},
		{"a generated name over Secrets", validating(policy.NameGuard, func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
			p.Spec.MatchConstraints.ResourceRules[0].Resources = []string{"secrets"}
		}), onlyPods},
		{"a generated name over every resource", validating(policy.NameGuard, func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
			p.Spec.MatchConstraints.ResourceRules[0].APIGroups = []string{"*"}
			p.Spec.MatchConstraints.ResourceRules[0].Resources = []string{"*"}
		}), onlyPods},
		{"a generated name reading Secrets as params", validating(policy.NameGuard, func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
			p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "Secret"}
		}), onlyPods},
		{"a mutating policy of another name", func(ctx context.Context) error {
			_, err := api.MutatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: "mutate-everything"},
				Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
					MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
						RuleWithOperations: admissionregistrationv1.RuleWithOperations{
							Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
							Rule:       admissionregistrationv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}},
						},
					}}},
					Mutations:          []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{Expression: "[]"}}},
					ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
				},
			}, dryRun)
			return err
		}, onlyGenerated},
	}
	tryAll(t, append(attempts, generatedWrites(t, sa, dryRun)...))
}

// generatedWrites are the creates of every object Generate makes for
// policyConfigs, each of which the ServiceAccount must be allowed.
func generatedWrites(t *testing.T, sa kubernetes.Interface, opts metav1.CreateOptions) []attempt {
	t.Helper()
	api := sa.AdmissionregistrationV1()
	var out []attempt
	add := func(name string, do func(ctx context.Context) error) {
		out = append(out, attempt{"generated " + name, do, ""})
	}
	for _, set := range generatedSets(t) {
		for _, p := range set.Mutating {
			add(p.Name, func(ctx context.Context) error {
				_, err := api.MutatingAdmissionPolicies().Create(ctx, p, opts)
				return err
			})
		}
		for _, b := range set.MutatingBindings {
			add(b.Name, func(ctx context.Context) error {
				_, err := api.MutatingAdmissionPolicyBindings().Create(ctx, b, opts)
				return err
			})
		}
		for _, p := range set.Validating {
			add(p.Name, func(ctx context.Context) error {
				_, err := api.ValidatingAdmissionPolicies().Create(ctx, p, opts)
				return err
			})
		}
		for _, b := range set.ValidatingBindings {
			add(b.Name, func(ctx context.Context) error {
				_, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, b, opts)
				return err
			})
		}
	}
	return out
}
