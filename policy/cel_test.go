package policy

import (
	"reflect"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"

	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// apiServerEnv is the CEL environment kube-apiserver compiles a new policy's
// expressions in, from the k8s.io/apiserver release the control plane is
// built from: its libraries, its cost estimator and its per-call limit.
func apiServerEnv(t testing.TB, opts ...cel.EnvOption) *cel.Env {
	t.Helper()
	env, err := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()).Env(environment.NewExpressions)
	if err != nil {
		t.Fatalf("the API server's CEL environment: %v", err)
	}
	if env, err = env.Extend(opts...); err != nil {
		t.Fatalf("extend the CEL environment: %v", err)
	}
	return env
}

// compileCEL compiles expr in env as the API server would, or fails the test.
func compileCEL(t testing.TB, env *cel.Env, expr string) cel.Program {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("compile: %v\n%s", iss.Err(), expr)
	}
	prog, err := env.Program(ast, cel.InterruptCheckFrequency(celconfig.CheckFrequency))
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	return prog
}

// evalCEL evaluates prog on vars, failing the test on an error.
func evalCEL(t testing.TB, prog cel.Program, vars map[string]any) (ref.Val, uint64) {
	t.Helper()
	out, det, err := prog.Eval(vars)
	if err != nil {
		t.Fatalf("eval %v: %v", vars, err)
	}
	return out, *det.ActualCost()
}

// mapType is the Go type a decision converts to.
var mapType = reflect.TypeOf(map[string]string{})
