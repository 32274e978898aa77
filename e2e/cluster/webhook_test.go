package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// seenLabel is what the test webhook adds to every Pod it admits.
const seenLabel = "e2e.pullthrough.dev/seen"

// TestWebhookConfigsCallTheCaller checks the plumbing the webhook e2e tests stand on:
// a configuration given to Start, served at WebhookServing with its certificate,
// mutates Pods on their way into the API server.
func TestWebhookConfigsCallTheCaller(t *testing.T) {
	path := "/mutate-pods"
	c := StartForTest(t, Options{WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{labelPodsConfig(path)}})
	serveWebhook(t, c, path, admission.HandlerFunc(labelPod))

	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The API server loads webhook configurations asynchronously: probe with dry-run
	// creates (the webhook has no side effects) until it mutates, as any e2e test must.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "probe"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
	}
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		probe := pod.DeepCopy()
		if err := k8s.Create(ctx, probe, client.DryRunAll); err != nil {
			t.Logf("dry-run create: %v", err)
			return false, nil
		}
		return probe.Labels[seenLabel] == "true", nil
	})
	if err != nil {
		t.Fatalf("the API server never called the webhook: %v", err)
	}
}

// labelPodsConfig sends Pod creations to path on the test's webhook server; Fail makes an
// unreachable server an error rather than an unlabelled Pod.
func labelPodsConfig(path string) *admissionregistrationv1.MutatingWebhookConfiguration {
	sideEffects := admissionregistrationv1.SideEffectClassNone
	failurePolicy := admissionregistrationv1.Fail
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-label-pods"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "label.e2e.pullthrough.dev",
			// Start rewrites a service reference with a path into a URL on WebhookServing.
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "e2e", Path: &path},
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
				},
			}},
			SideEffects:             &sideEffects,
			FailurePolicy:           &failurePolicy,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

// serveWebhook runs handler at path on the cluster's webhook address until t ends.
func serveWebhook(t *testing.T, c *Cluster, path string, handler admission.Handler) {
	host, port, certDir := c.WebhookServing()
	server := webhook.NewServer(webhook.Options{Host: host, Port: port, CertDir: certDir})
	server.Register(path, &admission.Webhook{Handler: handler})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhook server: %v", err)
		}
	})
}

// labelPod admits a Pod with seenLabel added.
func labelPod(_ context.Context, req admission.Request) admission.Response {
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[seenLabel] = "true"
	patched, err := json.Marshal(&pod)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, patched)
}
