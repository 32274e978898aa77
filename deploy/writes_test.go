package deploy

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/policy"
)

// TestWebhookWritesComparesEveryField: the webhook's policy lets an update
// through only when every field of every webhook but clientConfig.caBundle
// is unchanged; a field the API has and the policy does not compare could be
// changed with a stolen token. The fields are read from the API types, so a
// field a later API version adds fails this test until the chart compares it.
func TestWebhookWritesComparesEveryField(t *testing.T) {
	t.Parallel()
	var p *admissionregistrationv1.ValidatingAdmissionPolicy
	for _, v := range all[*admissionregistrationv1.ValidatingAdmissionPolicy](load(t, manifestsFile)) {
		if v.Name == "pullthrough-webhook-writes" {
			p = v
		}
	}
	if p == nil {
		t.Fatalf("%s: no ValidatingAdmissionPolicy pullthrough-webhook-writes", manifestsFile)
	}
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
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := a.do(ctx)
		if ctx.Err() == nil {
			last = err
		}
		return err != nil && strings.Contains(err.Error(), a.deny), nil
	})
	if err != nil {
		t.Fatalf("%s: not denied with %q within a minute (last: %v): the policy is not in force", a.name, a.deny, last)
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
	// only list and watch), changes it and updates it as the ServiceAccount,
	// as a server-side dry run (admission sees it as any update), so that
	// no attempt, allowed or not before the policy is in force, changes the
	// object the next one starts from. The allowed change is then made for
	// real.
	update := func(change func(*admissionregistrationv1.MutatingWebhookConfiguration)) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			mwc, err := admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			change(mwc)
			_, err = sa.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		}
	}
	const onlyCABundle = "may change only clientConfig.caBundle"
	failClosed := attempt{"failurePolicy Fail", update(func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
		m.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}), onlyCABundle}
	untilDenied(t, failClosed)
	setCABundle := func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
		for i := range m.Webhooks {
			m.Webhooks[i].ClientConfig.CABundle = []byte("-----BEGIN CERTIFICATE-----\n")
		}
	}
	tryAll(t, []attempt{
		{"caBundle set", update(setCABundle), ""},
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
	mwc, err := admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setCABundle(mwc)
	if _, err := sa.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(t.Context(), mwc, metav1.UpdateOptions{}); err != nil {
		t.Errorf("caBundle set for real: %v", err)
	}
}

// TestPolicyEngineWrites installs the policy engine's rendering on a real
// API server and, as its ServiceAccount, server-side applies admission
// policies as its applier does (dry runs, which are authorized as any
// write): every object `pullthrough policy` generates may be created; a
// policy or binding of another name may not, by apply or by a plain create,
// though the names are all RBAC holds (admission never sees these objects).
func TestPolicyEngineWrites(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	if !c.ServesAdmissionPolicies(t) {
		return
	}
	_, user := installAsServiceAccount(t, c, load(t, policyFile))
	sa, err := dynamic.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := kubernetes.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	denyAll := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "deny-everything"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "false"}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "deny-everything"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policy.NameGuard, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	generatedName := denyAll.DeepCopy()
	generatedName.Name = policy.NameGuard
	const forbidden = "is forbidden: User"
	attempts := []attempt{
		{"apply a deny-all policy of another name", apply(sa, "validatingadmissionpolicies", denyAll), forbidden},
		{"apply a binding of another name", apply(sa, "validatingadmissionpolicybindings", binding), forbidden},
		{"create (POST) a deny-all policy", create(typed, denyAll), forbidden},
		// The applier never POSTs: a create without a name cannot be
		// granted by name, so none is granted.
		{"create (POST) a policy of a generated name", create(typed, generatedName), forbidden},
	}
	for _, set := range generatedSets(t) {
		for _, p := range set.Mutating {
			attempts = append(attempts, attempt{"apply generated " + p.Name, apply(sa, "mutatingadmissionpolicies", p), ""})
		}
		for _, b := range set.MutatingBindings {
			attempts = append(attempts, attempt{"apply generated " + b.Name, apply(sa, "mutatingadmissionpolicybindings", b), ""})
		}
		for _, p := range set.Validating {
			attempts = append(attempts, attempt{"apply generated " + p.Name, apply(sa, "validatingadmissionpolicies", p), ""})
		}
		for _, b := range set.ValidatingBindings {
			attempts = append(attempts, attempt{"apply generated " + b.Name, apply(sa, "validatingadmissionpolicybindings", b), ""})
		}
	}
	tryAll(t, attempts)
}

// create POSTs policy (a dry run), as a stolen token would try.
func create(client kubernetes.Interface, policy *admissionregistrationv1.ValidatingAdmissionPolicy) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
}

// apply server-side applies obj (a dry run) as policy.Apply does: a PATCH
// on the object's own URL, which creates it when absent.
func apply(client dynamic.Interface, resource string, obj metav1.Object) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return err
		}
		gvr := admissionregistrationv1.SchemeGroupVersion.WithResource(resource)
		_, err = client.Resource(gvr).Apply(ctx, obj.GetName(), &unstructured.Unstructured{Object: u},
			metav1.ApplyOptions{FieldManager: policy.FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})
		return err
	}
}
