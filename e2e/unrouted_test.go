package e2e

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// unroutedPod pulls from public registries the test config has no mirror
// for, beside a mirrored image and an internal one.
func unroutedPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "web", Image: "nginx:1.27"},
			{Name: "dotnet", Image: "mcr.microsoft.com/dotnet/runtime:8.0"},
			{Name: "regional", Image: "eu.gcr.io/acme/exporter:1"},
			{Name: "private", Image: "registry.corp.example/team/app:1"},
		}},
	}
}

// spellingsPod writes mirrored registries the ways a chart or a person may:
// the default port, upper case, a Docker Hub alias.
func spellingsPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "k8s", Image: "registry.k8s.io:443/pause:3.9"}},
			Containers: []corev1.Container{
				{Name: "ghcr", Image: "ghcr.io:443/acme/app:1"},
				{Name: "quay", Image: "quay.io:443/calico/node:v3.28.0"},
				{Name: "hub", Image: "registry-1.docker.io:443/library/nginx"},
				{Name: "hub-upper", Image: "Docker.IO:443/redis:7"},
				{Name: "other-port", Image: "ghcr.io:5000/acme/app:1"},
			},
		},
	}
}

// TestWebhookUnroutedDeny runs the webhook with unrouted: deny on a real API
// server: the enforce path rejects a pod with an unrouted public image,
// naming it and the missing mirror; audit, off and excluded namespaces admit
// it; every spelling of a mirrored registry is rewritten, never denied.
func TestWebhookUnroutedDeny(t *testing.T) {
	e := startEnvConfig(t, false, "testdata/config-deny.yaml")
	for _, ns := range []struct {
		name string
		mode config.Mode
	}{{"shop", ""}, {"audited", config.ModeAudit}, {"off", config.ModeOff}, {"excluded", ""}} {
		e.namespace(t, ns.name, ns.mode)
	}
	cs := e.client(t, nil)

	t.Run("enforce namespace rejects", func(t *testing.T) {
		_, err := cs.CoreV1().Pods("shop").Create(t.Context(), unroutedPod("web"), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("create: %v, want the pod rejected (403)", err)
		}
		for _, want := range []string{
			`image "mcr.microsoft.com/dotnet/runtime:8.0"`, "add a mirror with source mcr.microsoft.com",
			`image "eu.gcr.io/acme/exporter:1"`, "public registry *.gcr.io", "add a mirror with source eu.gcr.io",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("rejection %q does not say %s", err, want)
			}
		}
	})

	t.Run("audit namespace admits and warns", func(t *testing.T) {
		w := &kit.Warnings{}
		got, err := e.client(t, w).CoreV1().Pods("audited").Create(t.Context(), unroutedPod("web"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("an audit namespace is never denied: %v", err)
		}
		if im := images(got.Spec); !maps.Equal(im, images(unroutedPod("").Spec)) {
			t.Errorf("audit changed images: %v", im)
		}
		var public int
		for _, warning := range w.List() {
			if strings.Contains(warning, "public registry") { // long or short form
				public++
			}
		}
		if public != 2 {
			t.Errorf("warnings = %q, want one per unrouted image (2)", w.List())
		}
	})

	t.Run("off and excluded namespaces admit", func(t *testing.T) {
		for _, ns := range []string{"off", "excluded"} {
			got, err := cs.CoreV1().Pods(ns).Create(t.Context(), unroutedPod("web"), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("%s: %v, want the pod admitted", ns, err)
			}
			if im := images(got.Spec); !maps.Equal(im, images(unroutedPod("").Spec)) {
				t.Errorf("%s: pod changed: %v", ns, im)
			}
		}
	})

	t.Run("every spelling of a mirrored registry is rewritten", func(t *testing.T) {
		got, err := cs.CoreV1().Pods("shop").Create(t.Context(), spellingsPod("spellings"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		want := map[string]string{
			"k8s":        k8sIO + "pause:3.9",
			"ghcr":       ghcr + "acme/app:1",
			"quay":       quay + "calico/node:v3.28.0",
			"hub":        hub + "library/nginx",
			"hub-upper":  hub + "library/redis:7",
			"other-port": "ghcr.io:5000/acme/app:1", // another port, another registry
		}
		if im := images(got.Spec); !maps.Equal(im, want) {
			t.Errorf("images = %v, want %v", im, want)
		}
	})

	t.Run("metrics name the public registries", func(t *testing.T) {
		families, err := e.registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]float64{}
		for _, f := range families {
			if f.GetName() != "pullthrough_images_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["outcome"] == "unrouted-public" {
					seen[labels["registry"]] += m.GetCounter().GetValue()
				}
			}
		}
		// Once from the rejected pod, once from the audited one; off and
		// excluded pods never reach (or are skipped by) the webhook.
		if want := map[string]float64{"mcr.microsoft.com": 2, "*.gcr.io": 2}; !maps.Equal(seen, want) {
			t.Errorf("unrouted-public by registry = %v, want %v", seen, want)
		}
	})
}
