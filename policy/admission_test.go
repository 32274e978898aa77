package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// podOf builds a pod from container lists written "name=image".
func podOf(containers, initContainers, ephemeral []string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"}}
	for _, c := range initContainers {
		name, image, _ := strings.Cut(c, "=")
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: name, Image: image})
	}
	for _, c := range containers {
		name, image, _ := strings.Cut(c, "=")
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: name, Image: image})
	}
	for _, c := range ephemeral {
		name, image, _ := strings.Cut(c, "=")
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image}})
	}
	return p
}

// with applies edits to a copy of p.
func with(p *corev1.Pod, edits ...func(*corev1.Pod)) *corev1.Pod {
	p = p.DeepCopy()
	for _, e := range edits {
		e(p)
	}
	return p
}

func annotated(k, v string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[k] = v
	}
}

func imageVolume(name, ref string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: ref}}})
	}
}

func labelled(k, v string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Labels = map[string]string{k: v} }
}

func pullSecrets(names ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
		for _, n := range names {
			p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: n})
		}
	}
}

// TestPodEqualsWebhook sends the same admission requests to the generated
// policy, compiled and run by the API server's own mutating-policy code, and
// to the webhook's handler, and requires the same pod from both, then the
// same pod again when each runs on its own output (reinvocation).
func TestPodEqualsWebhook(t *testing.T) {
	t.Parallel()
	typical := podOf([]string{"app=ghcr.io/acme/app:1", "proxy=docker.io/istio/proxyv2:1.22"}, []string{"init=busybox:1.36", "sidecar=quay.io/calico/node:v3"}, nil)
	digest := "@sha256:" + strings.Repeat("a", 64)
	cases := []struct {
		name string
		req  request
	}{
		{"every container list", request{op: admission.Create, namespace: "team", pod: typical}},
		{"image volumes", request{op: admission.Create, namespace: "team", pod: with(typical, imageVolume("models", "ghcr.io/acme/models:v1"), imageVolume("app", "registry.internal/data:1"))}},
		{"ephemeral containers on create", request{op: admission.Create, namespace: "team", pod: podOf([]string{"a=nginx"}, nil, []string{"debug=ghcr.io/acme/debug" + digest})}},
		{"nothing to rewrite", request{op: admission.Create, namespace: "team", pod: podOf([]string{"a=registry.internal/x", "b=proxy.example.internal/ghcr/a", "c=nvcr.io/x", "d=Not A Reference"}, nil, nil)}},
		{"tag and digest kept as written", request{op: admission.Create, namespace: "team", pod: podOf([]string{"a=nginx:1.27" + digest, "b=Docker.IO:443/bitnami/redis" + digest}, nil, nil)}},
		{"annotations of others kept", request{op: admission.Create, namespace: "team", pod: with(typical, annotated("team.example/owner", "me"))}},
		// On CREATE an entry for a container the pod lacks is forged: dropped.
		{"our annotation merged, forged entries dropped", request{op: admission.Create, namespace: "team", pod: with(typical, annotated(wellknown.AnnotationOriginalImages, `{"gone":"nginx","init":"busybox:1","proxy":"old","volume:app":"x"}`))}},
		// On UPDATE the entries are earlier requests' record: kept.
		{"update: the record kept", request{op: admission.Update, namespace: "team",
			pod: with(podOf([]string{"app=ghcr.io/acme/app:2"}, nil, nil), annotated(wellknown.AnnotationOriginalImages, `{"gone":"nginx"}`)),
			old: with(podOf([]string{"app=ghcr.io/acme/app:1"}, nil, nil), annotated(wellknown.AnnotationOriginalImages, `{"gone":"nginx"}`))}},
		{"our annotation unchanged", request{op: admission.Create, namespace: "team", pod: with(podOf([]string{"app=ghcr.io/acme/app:1"}, nil, nil), annotated(wellknown.AnnotationOriginalImages, `{"app":"ghcr.io/acme/app:1"}`))}},
		{"a foreign annotation value replaced", request{op: admission.Create, namespace: "team", pod: with(typical, annotated(wellknown.AnnotationOriginalImages, `not json`))}},
		{"pull secrets added", request{op: admission.Create, namespace: "team", pod: with(typical, pullSecrets("mine"))}},
		{"pull secrets to an empty list", request{op: admission.Create, namespace: "team", pod: with(typical, pullSecrets())}},
		{"pull secrets present", request{op: admission.Create, namespace: "team", pod: with(typical, pullSecrets("proxy-pull"))}},
		{"pull secrets for an already proxied pod", request{op: admission.Create, namespace: "team", pod: podOf([]string{"a=proxy.example.internal/ghcr/a"}, nil, nil)}},
		{"opted out", request{op: admission.Create, namespace: "team", pod: with(typical, labelled(wellknown.LabelSkip, "true"))}},
		{"skip label not true", request{op: admission.Create, namespace: "team", pod: with(typical, labelled(wellknown.LabelSkip, "yes"))}},
		{"mirror pod", request{op: admission.Create, namespace: "team", pod: with(typical, annotated(corev1.MirrorPodAnnotationKey, "x"))}},
		{"excluded namespace", request{op: admission.Create, namespace: "excluded", pod: typical}},
		{"excluded namespace glob", request{op: admission.Create, namespace: "team-b1", pod: typical}},
		{"namespace outside the glob", request{op: admission.Create, namespace: "team-c1", pod: typical}},
		{"update: unchanged images stay", request{op: admission.Update, namespace: "team", pod: with(typical, labelled("x", "y")), old: typical}},
		{"update: a changed image is rewritten", request{op: admission.Update, namespace: "team",
			pod: podOf([]string{"app=ghcr.io/acme/app:2", "proxy=docker.io/istio/proxyv2:1.22"}, nil, nil), old: podOf([]string{"app=ghcr.io/acme/app:1", "proxy=docker.io/istio/proxyv2:1.22"}, nil, nil)}},
		{"kubectl debug: a new ephemeral container", request{op: admission.Update, subResource: "ephemeralcontainers", namespace: "team",
			pod: podOf([]string{"app=ghcr.io/acme/app:1"}, nil, []string{"old=busybox", "debug=nicolaka/netshoot"}), old: podOf([]string{"app=ghcr.io/acme/app:1"}, nil, []string{"old=busybox"})}},
	}
	cfg, err := config.Parse([]byte(testConfigs["paths"]))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(cfg, Options{Guard: GuardWarn})
	if err != nil {
		t.Fatal(err)
	}
	pol := compileMutating(t, set.Mutating[0])
	hook := newWebhookEngine(t, cfg, webhook.PathMutate)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pol.admit(t, tc.req)
			if err != nil {
				t.Fatalf("policy: %v", err)
			}
			want, _, _ := hook.admit(t, tc.req)
			if !equality.Semantic.DeepEqual(got, want) {
				t.Fatalf("policy and webhook disagree (-webhook +policy):\n%s", cmp.Diff(want, got))
			}
			again := tc.req
			again.pod = got
			if twice, err := pol.admit(t, again); err != nil || !equality.Semantic.DeepEqual(twice, got) {
				t.Fatalf("reinvoked on its own output, the policy changed the pod (%v):\n%s", err, cmp.Diff(got, twice))
			}
		})
	}
}
