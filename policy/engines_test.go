package policy

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/kubernetes/scheme"
	ctrladmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

var (
	podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	podGVK  = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
)

// request is one admission request for a pod.
type request struct {
	op          admission.Operation
	subResource string
	namespace   string
	// nsLabels are the namespace's labels (kubernetes.io/metadata.name is
	// added, as the API server sets it).
	nsLabels map[string]string
	pod, old *corev1.Pod
}

// mutatingEngine is a MutatingAdmissionPolicy compiled as kube-apiserver
// compiles it (the mutating plugin's compilePolicy, step by step with the
// same exported parts: composited compiler, match conditions, JSON patcher).
type mutatingEngine struct {
	compiler *plugincel.CompositedCompiler
	matcher  matchconditions.Matcher
	patchers []patch.Patcher
}

func compileMutating(t testing.TB, p *admissionregistrationv1.MutatingAdmissionPolicy) *mutatingEngine {
	t.Helper()
	compiler, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	opts := plugincel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true}
	vars := make([]plugincel.NamedExpressionAccessor, len(p.Spec.Variables))
	for i, v := range p.Spec.Variables {
		vars[i] = &validating.Variable{Name: v.Name, Expression: v.Expression}
	}
	compiler.CompileAndStoreVariables(vars, opts, environment.NewExpressions)
	conds := make([]plugincel.ExpressionAccessor, len(p.Spec.MatchConditions))
	for i := range p.Spec.MatchConditions {
		conds[i] = (*matchconditions.MatchCondition)(&p.Spec.MatchConditions[i])
	}
	e := &mutatingEngine{compiler: compiler,
		matcher: matchconditions.NewMatcher(compiler.CompileCondition(conds, opts, environment.NewExpressions), p.Spec.FailurePolicy, "policy", "validate", p.Name)}
	opts.HasPatchTypes = true
	for _, m := range p.Spec.Mutations {
		ev := compiler.CompileMutatingEvaluator(&patch.JSONPatchCondition{Expression: m.JSONPatch.Expression}, opts, environment.NewExpressions)
		if errs := ev.CompilationErrors(); len(errs) > 0 {
			t.Fatalf("compile the JSON patch: %v", errs)
		}
		e.patchers = append(e.patchers, patch.NewJSONPatcher(ev))
	}
	return e
}

// admit runs r through the policy: its match conditions, then its
// mutations. It returns the pod as the policy leaves it and any error (with
// failurePolicy Ignore, the API server admits the pod unchanged on one).
func (e *mutatingEngine) admit(t testing.TB, r request) (*corev1.Pod, error) {
	t.Helper()
	var obj runtime.Object = r.pod.DeepCopy()
	var old runtime.Object
	if r.old != nil {
		old = r.old
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.namespace, Labels: namespaces.LabelsOf(r.namespace, r.nsLabels)}}
	ctx := e.compiler.CreateContext(context.Background())
	attrs := admission.NewAttributesRecord(obj, old, podGVK, r.namespace, r.pod.Name, podsGVR, r.subResource, r.op, nil, false, nil)
	vAttrs := &admission.VersionedAttributes{Attributes: attrs, VersionedKind: podGVK, VersionedObject: admission.NewLazyObject(obj), VersionedOldObject: admission.NewLazyObject(old)}
	if m := e.matcher.Match(ctx, vAttrs, nil, nil); m.Error != nil || !m.Matches {
		return r.pod.DeepCopy(), m.Error
	}
	for _, p := range e.patchers {
		out, err := p.Patch(ctx, patch.Request{
			MatchedResource:     podsGVR,
			VersionedAttributes: vAttrs,
			ObjectInterfaces:    admission.NewObjectInterfacesFromScheme(scheme.Scheme),
			Namespace:           ns,
		}, celconfig.RuntimeCELCostBudget)
		if err != nil {
			return r.pod.DeepCopy(), err
		}
		obj = out
		vAttrs.VersionedObject = admission.NewLazyObject(obj)
	}
	return obj.(*corev1.Pod), nil
}

// webhookEngine is the Go engine's admission path: the webhook's handler
// for one path of a config.
type webhookEngine struct {
	handler *webhook.PodHandler
	labels  *sync.Map // namespace -> its labels, as the namespace watch reads them
}

// Labels is webhook.NamespaceLabels from the requests admit was given.
func (w *webhookEngine) Labels(_ context.Context, name string) (map[string]string, error) {
	if l, ok := w.labels.Load(name); ok {
		return l.(map[string]string), nil
	}
	return namespaces.LabelsOf(name, nil), nil
}

func newWebhookEngine(t testing.TB, cfg *config.Config, path webhook.Path) *webhookEngine {
	t.Helper()
	// The policy engine cannot ask the proxy (docs/policy-engine.md): the
	// two decide alike for every reference the proxy serves, which is the
	// webhook with its served check off.
	off := false
	unchecked := *cfg
	unchecked.ServedCheck.Enabled = &off
	live, err := liveconfig.New(&unchecked)
	if err != nil {
		t.Fatal(err)
	}
	state, err := webhook.NewState(live)
	if err != nil {
		t.Fatal(err)
	}
	w := &webhookEngine{handler: kit.Handler(t, state, path), labels: &sync.Map{}}
	w.handler.State.SetNamespaceLabels(w)
	return w
}

// admit sends r to the handler and applies its patch; it also returns the
// warnings and whether the pod was allowed.
func (w *webhookEngine) admit(t testing.TB, r request) (*corev1.Pod, []string, bool) {
	t.Helper()
	out, warnings, denial := w.answer(t, r)
	return out, warnings, denial == ""
}

// answer is admit with the reason of a denial, "" when the pod was allowed.
func (w *webhookEngine) answer(t testing.TB, r request) (*corev1.Pod, []string, string) {
	t.Helper()
	w.labels.Store(r.namespace, namespaces.LabelsOf(r.namespace, r.nsLabels))
	raw := mustJSON(t, r.pod)
	req := ctrladmission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind(podGVK), Resource: metav1.GroupVersionResource(podsGVR),
		SubResource: r.subResource, Namespace: r.namespace, Name: r.pod.Name, Operation: admissionv1.Operation(r.op),
		Object: runtime.RawExtension{Raw: raw},
	}}
	if r.old != nil {
		req.OldObject = runtime.RawExtension{Raw: mustJSON(t, r.old)}
	}
	resp := w.handler.Handle(context.Background(), req)
	if !resp.Allowed {
		denial := "denied"
		if resp.Result != nil && resp.Result.Message != "" {
			denial = resp.Result.Message
		}
		return r.pod.DeepCopy(), resp.Warnings, denial
	}
	if len(resp.Patches) == 0 {
		return r.pod.DeepCopy(), resp.Warnings, ""
	}
	p, err := jsonpatch.DecodePatch(mustJSON(t, resp.Patches))
	if err != nil {
		t.Fatal(err)
	}
	patched, err := p.Apply(raw)
	if err != nil {
		t.Fatalf("apply the webhook's patch: %v", err)
	}
	out := &corev1.Pod{}
	if err := json.Unmarshal(patched, out); err != nil {
		t.Fatal(err)
	}
	return out, resp.Warnings, ""
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
