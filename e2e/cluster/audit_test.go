package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"
)

// TestAuditLog: with Options.Audit, pod creates are in the audit log, named
// even when the API server generated the name, with the validation failures
// of a ValidatingAdmissionPolicy bound with the Audit action; a pod the policy
// does not fail has none, and what the policy does not select is not logged.
func TestAuditLog(t *testing.T) {
	c := StartForTest(t, Options{Audit: AuditPodCreates()})
	ctx := t.Context()
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "audited", Labels: map[string]string{"audited": "true"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
	} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	const policy, message = "audit-every-pod", "every pod is audited"
	api := cs.AdmissionregistrationV1()
	if _, err := api.ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: policy},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "false", Message: message}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"audited": "true"}}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The API server loads policies asynchronously: create pods until one is
	// audited with the policy's failure.
	var failures []ValidationFailure
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		name := createPod(ctx, t, cs, "audited")
		e := waitAudited(ctx, t, c, "audited", name)
		failures, err = ValidationFailures(e)
		return len(failures) > 0, err
	})
	if err != nil {
		t.Fatalf("no pod create was audited with the policy's failure: %v", err)
	}
	want := ValidationFailure{Message: message, Policy: policy, Binding: policy, ValidationActions: []string{string(admissionregistrationv1.Audit)}}
	if len(failures) != 1 || failures[0].Message != want.Message || failures[0].Policy != want.Policy ||
		failures[0].Binding != want.Binding || !slices.Equal(failures[0].ValidationActions, want.ValidationActions) {
		t.Errorf("validation failures %+v, want [%+v]", failures, want)
	}

	plain := waitAudited(ctx, t, c, "plain", createPod(ctx, t, cs, "plain"))
	if failures, err := ValidationFailures(plain); err != nil || len(failures) > 0 {
		t.Errorf("a pod no policy failed has validation failures %+v (%v)", failures, err)
	}
	events, err := c.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Verb != "create" || e.ObjectRef == nil || e.ObjectRef.Resource != "pods" || e.Stage != auditv1.StageResponseComplete {
			t.Errorf("the policy selects only pod creates, once complete; logged %s %+v at %s", e.Verb, e.ObjectRef, e.Stage)
		}
	}
}

// createPod creates a pod in ns from a generated name, as controllers do, and
// returns the name the API server gave it.
func createPod(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string) string {
	t.Helper()
	pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "audited-"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod.Name
}

// waitAudited waits for the audit event of the create of pod ns/name.
func waitAudited(ctx context.Context, t *testing.T, c *Cluster, ns, name string) auditv1.Event {
	t.Helper()
	var found auditv1.Event
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		events, err := c.AuditEvents()
		if err != nil {
			return false, err
		}
		for _, e := range events {
			created, err := CreatedName(e)
			if err != nil {
				return false, err
			}
			if created == name && e.ObjectRef != nil && e.ObjectRef.Namespace == ns {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no audit event for the create of pod %s/%s: %v", ns, name, err)
	}
	return found
}
