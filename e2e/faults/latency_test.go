//go:build faults

package faults

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/policy"
)

// engine is one way pods reach the API server's storage: nothing mutating
// them, the policy engine, or the webhook.
type engine struct {
	name    string
	install func(b *testing.B)
	samples []time.Duration
}

// BenchmarkPodCreation creates pods one after another on a real API server
// with no mutation, with the policy engine and with the webhook, in
// alternating rounds (no mutation between any two), and reports each engine's p50 and p99 and their
// ratios to no mutation. The pod is a Deployment's Istio-injected pod
// (webhook/testdata/requests/realistic-istio-pod.json: env, probes, an init
// container and a sidecar). PT_LATENCY_ROUNDS and PT_LATENCY_PODS set the
// rounds (default 3) and the pods per engine and round (default 200).
func BenchmarkPodCreation(b *testing.B) {
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		b.Fatal(err)
	}
	c := cluster.StartForTest(b, cluster.Options{WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped}})
	if !c.ServesAdmissionPolicies(b) {
		b.Skip("the API server does not serve MutatingAdmissionPolicy")
	}
	rc := c.Config()
	rc.QPS, rc.Burst = 1000, 2000
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	hooks := cs.AdmissionregistrationV1().MutatingWebhookConfigurations()
	installed, err := hooks.Get(ctx, shipped.Name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cfg, _, err := config.Read("../testdata/config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	set, err := policy.Generate(cfg, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	_, port, certDir := c.WebhookServing()
	startWebhook(b, e2e.BuildBinary(b), certDir, port)
	s := &suite{cs: cs}
	kit.Namespace(b, cs, "latency", nil)
	pod := realisticPod(b)
	webhookOff := func() {
		if err := hooks.Delete(ctx, installed.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			b.Fatal(err)
		}
	}
	policiesOff := func() {
		if _, err := policy.Apply(ctx, dyn, &policy.Set{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	none := &engine{name: "no mutation", install: func(b *testing.B) {
		webhookOff()
		policiesOff()
		s.waitRewrittenTo(b, "latency", streamImage)
	}}
	engines := []*engine{
		none,
		{name: "policy engine", install: func(b *testing.B) {
			webhookOff()
			if _, err := policy.Apply(ctx, dyn, set, nil); err != nil {
				b.Fatal(err)
			}
			s.waitRewrittenTo(b, "latency", proxied)
		}},
		{name: "webhook", install: func(b *testing.B) {
			policiesOff()
			fresh := installed.DeepCopy()
			fresh.ResourceVersion, fresh.UID = "", ""
			if _, err := hooks.Create(ctx, fresh, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				b.Fatal(err)
			}
			s.waitRewrittenTo(b, "latency", proxied)
		}},
	}
	// No mutation between the engines: its probe proves the engine before
	// it gone, so the next one's probe can only be answered by that one.
	order := []*engine{none, engines[1], none, engines[2]}
	rounds, pods := envInt(b, "PT_LATENCY_ROUNDS", 3), envInt(b, "PT_LATENCY_PODS", 200)
	for b.Loop() {
		for range rounds {
			for _, e := range order {
				e.install(b)
				for range pods {
					start := time.Now()
					if _, err := cs.CoreV1().Pods("latency").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
						b.Fatalf("%s: create: %v", e.name, err)
					}
					e.samples = append(e.samples, time.Since(start))
				}
			}
		}
	}
	base := engines[0]
	table := fmt.Sprintf("%d rounds × %d pods per engine, created one after another\n\n| engine | p50 | p99 | p50 ratio | p99 ratio |\n|---|---|---|---|---|\n", rounds, pods)
	for _, e := range engines {
		p50, p99 := quantile(e.samples, 0.5), quantile(e.samples, 0.99)
		r50, r99 := float64(p50)/float64(quantile(base.samples, 0.5)), float64(p99)/float64(quantile(base.samples, 0.99))
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms-"+strings.ReplaceAll(e.name, " ", "-"))
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms-"+strings.ReplaceAll(e.name, " ", "-"))
		table += fmt.Sprintf("| %s | %s | %s | %.2f× | %.2f× |\n", e.name, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), r50, r99)
	}
	b.Log("\n" + table)
	if path := os.Getenv("PT_LATENCY_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			b.Error(err)
		}
	}
}

// realisticPod is the pod of webhook/testdata/requests/realistic-istio-pod.json,
// its images replaced by streamImage, so that every engine has the same
// work and the probes can tell them apart.
func realisticPod(b *testing.B) *corev1.Pod {
	raw, err := os.ReadFile(filepath.Join("..", "..", "webhook", "testdata", "requests", "realistic-istio-pod.json"))
	if err != nil {
		b.Fatal(err)
	}
	var review struct {
		Request struct {
			Object corev1.Pod `json:"object"`
		} `json:"request"`
	}
	if err := json.Unmarshal(raw, &review); err != nil {
		b.Fatal(err)
	}
	p := &review.Request.Object
	p.Namespace, p.OwnerReferences, p.Spec.NodeName = "latency", nil, ""
	for i := range p.Spec.InitContainers {
		p.Spec.InitContainers[i].Image = streamImage
	}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].Image = streamImage
	}
	return p
}

// quantile is the q-quantile of samples (nearest rank).
func quantile(samples []time.Duration, q float64) time.Duration {
	s := slices.Sorted(slices.Values(samples))
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
