package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/webhook"
)

// TestScopedPodEqualsWebhook: with scoped mirrors, the MutatingAdmissionPolicy
// (compiled as kube-apiserver compiles it, given the namespace object) and
// the webhook (given the same namespace's labels) patch a pod alike in
// every test namespace, and the policy is a fixed point there.
func TestScopedPodEqualsWebhook(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(testConfigs["tenants"]))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(cfg, Options{Guard: GuardWarn})
	if err != nil {
		t.Fatal(err)
	}
	pol := compileMutating(t, set.Mutating[0])
	hook := newWebhookEngine(t, cfg, webhook.PathMutate)
	pod := podOf([]string{"app=nginx:1.27", "cache=bitnami/redis:7", "tool=ghcr.io/acme/tool:1"}, []string{"init=quay.io/acme/x/init:2", "mesh=quay.io/acme/mesh:1"}, nil)
	for _, ns := range testNamespaces {
		t.Run(ns.name, func(t *testing.T) {
			req := request{op: admission.Create, namespace: ns.name, nsLabels: ns.labels, pod: with(pod, func(p *corev1.Pod) { p.Namespace = ns.name })}
			got, err := pol.admit(t, req)
			if err != nil {
				t.Fatalf("policy: %v", err)
			}
			want, _, _ := hook.admit(t, req)
			if !equality.Semantic.DeepEqual(got, want) {
				t.Fatalf("labels %v: policy and webhook disagree (-webhook +policy):\n%s", ns.labels, cmp.Diff(want, got))
			}
			again := req
			again.pod = got
			if twice, err := pol.admit(t, again); err != nil || !equality.Semantic.DeepEqual(twice, got) {
				t.Fatalf("reinvoked on its own output, the policy changed the pod (%v):\n%s", err, cmp.Diff(got, twice))
			}
		})
	}
}

// TestScopedPolicyOnAPIServer: on kube-apiserver, the policies of a scoped
// config rewrite a pod in each labelled namespace as the webhook does with
// the labels the API server stored (kubernetes.io/metadata.name included).
func TestScopedPolicyOnAPIServer(t *testing.T) {
	e := startPolicyEnvConfig(t, "tenants")
	if e == nil {
		return
	}
	pod := podOf([]string{"app=nginx:1.27", "tool=ghcr.io/acme/tool:1"}, []string{"init=quay.io/acme/x/init:2"}, nil)
	seen := map[string]bool{}
	for _, ns := range testNamespaces {
		if seen[ns.name] {
			continue // one labelling per name on a real server
		}
		seen[ns.name] = true
		if ns.name != metav1.NamespaceDefault {
			kit.Namespace(t, e.cs, ns.name, ns.labels)
		}
		e.expectWebhook(t.Context(), t, ns.name, pod)
	}
}
