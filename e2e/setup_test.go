package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

// injectPath serves a stand-in for Istio's injector: a second webhook, called
// after pullthrough's, that adds an istio-proxy native sidecar.
const injectPath = "/inject-sidecar"

// istioImage is what the stand-in injector adds, from Docker Hub as Istio's does.
const istioImage = "docker.io/istio/proxyv2:1.22.0"

// env is one control plane with pullthrough's webhook (in this process, on
// the address the API server calls) and the stand-in injector.
type env struct {
	cluster  *cluster.Cluster
	registry *prometheus.Registry
	stop     func() // stops the webhook server
}

func startEnv(t *testing.T, controllers bool) *env {
	t.Helper()
	return startEnvConfig(t, controllers, "testdata/config.yaml")
}

// startEnvConfig is startEnv with the webhook serving the config at configPath.
func startEnvConfig(t *testing.T, controllers bool, configPath string) *env {
	t.Helper()
	shipped, err := WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster.StartForTest(t, cluster.Options{
		ControllerManager: controllers,
		WebhookConfigs:    []*admissionregistrationv1.MutatingWebhookConfiguration{shipped, injectorConfig()},
	})
	live, err := liveconfig.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	metrics, err := webhook.NewMetrics(registry)
	if err != nil {
		t.Fatal(err)
	}
	host, port, certDir := c.WebhookServing()
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: host, Port: port, CertDir: certDir})
	state, err := webhook.NewState(live)
	if err != nil {
		t.Fatal(err)
	}
	for path, h := range webhook.Handlers(state, metrics, webhook.Limits{}) {
		server.Register(string(path), h)
	}
	server.Register(injectPath, &admission.Webhook{Handler: admission.HandlerFunc(injectSidecar)})
	ctx, cancel := context.WithCancel(context.Background())
	if live.Config().SelectsByLabels() {
		// As the binary wires it: the namespace informer on the API server.
		watch, err := namespaces.NewWatch(metadata.NewForConfigOrDie(c.Config()))
		if err != nil {
			t.Fatal(err)
		}
		state.SetNamespaceLabels(watch)
		go func() { _ = watch.Start(ctx) }()
	}
	done := make(chan error, 1)
	go func() { done <- server.Start(ctx) }()
	// As the binary runs it; idle unless the config has proxyHealth. It returns on cancel.
	go func() { _ = (&webhook.ProxyProber{State: state, Metrics: metrics, Log: logr.Discard()}).Start(ctx) }()
	var once sync.Once
	e := &env{cluster: c, registry: registry, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("webhook server: %v", err)
			}
		})
	}}
	t.Cleanup(e.stop)
	e.waitForWebhook(t)
	return e
}

// waitForWebhook probes with dry-run creates until the API server calls the
// webhook: it loads webhook configurations asynchronously.
func (e *env) waitForWebhook(t *testing.T) {
	t.Helper()
	cs := e.client(t, nil)
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CoreV1().Pods("default").Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && answered(got), nil
	})
	if err != nil {
		t.Fatalf("the API server never called pullthrough: %v", err)
	}
}

// client returns a clientset; warnings, if not nil, receives what the API
// server warns about, as kubectl would print it.
func (e *env) client(t *testing.T, w *kit.Warnings) kubernetes.Interface {
	t.Helper()
	cfg := e.cluster.Config()
	if w != nil {
		cfg.WarningHandler = w
	} else {
		cfg.WarningHandler = rest.NoWarnings{}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a namespace with the given mode label ("" for none)
// for as long as t runs.
func (e *env) namespace(t *testing.T, name string, mode config.Mode) {
	t.Helper()
	kit.Namespace(t, e.client(t, nil), name, kit.ModeLabels(mode))
}

// images returns container name -> image over every container list.
func images(spec corev1.PodSpec) map[string]string {
	out := map[string]string{}
	EachContainer(corev1.Pod{Spec: spec}, func(name, image, _ string) { out[name] = image })
	return out
}

// injectorConfig registers the stand-in injector; its name sorts after
// "pullthrough", so the API server calls it second, and pullthrough sees
// the sidecar only through reinvocation.
func injectorConfig() *admissionregistrationv1.MutatingWebhookConfiguration {
	path := injectPath
	ignore := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zz-sidecar-injector"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         "inject.e2e.pullthrough.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "injector", Path: &path}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"sidecar.istio.io/inject": "true"}},
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

// injectSidecar adds an istio-proxy native sidecar, once.
func injectSidecar(_ context.Context, req admission.Request) admission.Response {
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == "istio-proxy" {
			return admission.Allowed("")
		}
	}
	always := corev1.ContainerRestartPolicyAlways
	pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: "istio-proxy", Image: istioImage, RestartPolicy: &always})
	patched, err := json.Marshal(&pod)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, patched)
}

// requests returns pullthrough_admission_requests_total for one operation,
// summed over results: how many requests of that kind reached the webhook.
func (e *env) requests(t *testing.T, operation string) float64 {
	t.Helper()
	return e.metric(t, "pullthrough_admission_requests_total", "operation", operation)
}

// metric sums the series of a counter or gauge whose label has value ("" for all).
func (e *env) metric(t *testing.T, name, label, value string) float64 {
	t.Helper()
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label == "" || slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == label && l.GetValue() == value }) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
