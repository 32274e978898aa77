package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/policy"
	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestPolicyProcessIsNoWebhook: `policy --apply --watch` stands on the live
// config alone. It serves the reloads' series and its own, none of the
// webhook's, and builds no proxy client: a proxyHealth whose CA bundle
// cannot be read, which the webhook refuses, is nothing to it.
func TestPolicyProcessIsNoWebhook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	missing := filepath.Join(dir, "missing.crt")
	text := "mirrors: [{source: docker.io, target: proxy.example.internal/hub}]\nproxyHealth: {url: https://proxy.example.internal/v2/, caBundle: " + missing + "}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// Clients are made, never used: nothing listens there.
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := liveconfig.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.NewState(live); err == nil {
		t.Fatal("the webhook accepted a proxyHealth.caBundle it cannot read: the test proves nothing")
	}

	f, err := parsePolicyFlags([]string{"--config", cfg, "--apply", "--watch", "--kubeconfig", kubeconfig,
		"--metrics-bind-address=0", "--pod-images", "--pull-failures"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	p := &process.Process{Log: logr.Discard(), Registry: reg, Kube: process.Kubeconfig(kubeconfig), Ready: map[string]healthz.Checker{}}
	if err := policyProcess(p, f, policy.Options{Guard: policy.GuardOff}); err != nil {
		t.Fatalf("policyProcess: %v", err)
	}
	served := gatheredNames(t, reg)
	for _, name := range []string{wellknown.MetricConfigReloads, wellknown.MetricConfigLastReloadOK, wellknown.MetricPolicyApplies, wellknown.MetricPolicyLastApplyOK} {
		if !served[name] {
			t.Errorf("policy --watch does not serve %s", name)
		}
	}
	hook := prometheus.NewPedanticRegistry()
	if _, err := webhook.NewMetrics(hook); err != nil {
		t.Fatal(err)
	}
	for name := range gatheredNames(t, hook) {
		if served[name] {
			t.Errorf("policy --watch serves the webhook's %s", name)
		}
	}
}

// gatheredNames are the families reg serves.
func gatheredNames(t *testing.T, reg prometheus.Gatherer) map[string]bool {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range families {
		names[mf.GetName()] = true
	}
	return names
}
