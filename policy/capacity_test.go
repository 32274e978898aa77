package policy

import (
	"strconv"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestCapacityGuard evaluates pullthrough-guard-capacity in the API
// server's CEL environment: it counts the images not under a target, so a
// forged original-images annotation no longer lets a big pod of public
// images through, and it stays within the per-call cost limit at the size of
// the largest pod the API server accepts.
func TestCapacityGuard(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(testConfigs["paths"]))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(cfg, Options{Guard: GuardWarn})
	if err != nil {
		t.Fatal(err)
	}
	var guard *admissionregistrationv1.ValidatingAdmissionPolicy
	for _, p := range set.Validating {
		if p.Name == NameGuardCapacity {
			guard = p
		}
	}
	if guard == nil || len(guard.Spec.Variables) != 1 || len(guard.Spec.Validations) != 1 {
		t.Fatalf("%s: want one variable and one validation, got %+v", NameGuardCapacity, guard)
	}
	env := apiServerEnv(t, cel.Variable("object", cel.DynType), cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)))
	count := compileCEL(t, env, guard.Spec.Variables[0].Expression)
	check := compileCEL(t, env, guard.Spec.Validations[0].Expression)
	message := compileCEL(t, env, guard.Spec.Validations[0].MessageExpression)
	public := func(i int) string { return "ghcr.io/acme/app-" + strconv.Itoa(i) + ":1" }
	proxied := func(i int) string { return "proxy.example.internal/ghcr/acme/app-" + strconv.Itoa(i) + ":1" }
	forged := annotated(wellknown.AnnotationOriginalImages, `{"c0":"ghcr.io/acme/app-0:1"}`)
	tests := []struct {
		name        string
		pod         *corev1.Pod
		unrewritten int64
	}{
		{name: "within the limit", pod: podOfImages(GuaranteedImages, public), unrewritten: GuaranteedImages},
		{name: "past it", pod: podOfImages(GuaranteedImages+1, public), unrewritten: GuaranteedImages + 1},
		// The annotation is the pod author's to write: it proves nothing.
		{name: "past it, with a forged record", pod: with(podOfImages(700, public), forged), unrewritten: 700},
		{name: "rewritten", pod: with(podOfImages(700, proxied), forged)},
		{name: "mixed", pod: podOfImages(700, func(i int) string {
			if i%2 == 0 {
				return public(i)
			}
			return proxied(i)
		}), unrewritten: 350},
		// The largest pod a 3 MiB request holds, within the per-call limit.
		{name: "the hostile pod", pod: podOfImages(40000, public), unrewritten: 40000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tt.pod)
			if err != nil {
				t.Fatal(err)
			}
			n, cost := evalQuiet(t, count, map[string]any{"object": obj})
			if n.Value() != tt.unrewritten || cost > celconfig.PerCallLimit {
				t.Fatalf("unrewritten = %v at cost %d, want %d within %d", n.Value(), cost, tt.unrewritten, celconfig.PerCallLimit)
			}
			vars := map[string]any{"object": obj, "variables": map[string]any{"unrewritten": n.Value()}}
			ok, _ := evalCEL(t, check, vars)
			if ok.Value() != (tt.unrewritten <= GuaranteedImages) {
				t.Errorf("guard passes = %v for %d unrewritten images", ok.Value(), tt.unrewritten)
			}
			if msg, _ := evalCEL(t, message, vars); msg.Value() != wellknown.WarningTooManyImages(strconv.FormatInt(tt.unrewritten, 10), GuaranteedImages) {
				t.Errorf("message %q, want the webhook's warning", msg.Value())
			}
		})
	}
}

// evalQuiet is evalCEL for a huge input: an error names the cost, not vars.
func evalQuiet(t *testing.T, prog cel.Program, vars map[string]any) (ref.Val, uint64) {
	t.Helper()
	out, det, err := prog.Eval(vars)
	if err != nil {
		t.Fatalf("eval: %v (cost %d)", err, *det.ActualCost())
	}
	return out, *det.ActualCost()
}
