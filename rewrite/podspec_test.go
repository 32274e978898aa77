package rewrite

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodSpec(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, testConfig)
	always := corev1.ContainerRestartPolicyAlways
	spec := &corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "init", Image: "busybox:1.36"},
			{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.22.0", RestartPolicy: &always},
		},
		Containers: []corev1.Container{
			{Name: "app", Image: "ghcr.io/acme/app:1"},
			{Name: "cached", Image: "proxy.example.internal/quay/calico/node:v3"},
			{Name: "private", Image: "registry.corp.example/team/app:2"},
		},
		EphemeralContainers: []corev1.EphemeralContainer{
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "nicolaka/netshoot"}},
		},
	}
	want := []struct {
		field, container, image string
		outcome                 Outcome
	}{
		{FieldInitContainers, "init", "busybox:1.36", OutcomeExcludedImage},
		{FieldInitContainers, "istio-proxy", "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", OutcomeRewritten},
		{FieldContainers, "app", "proxy.example.internal/ghcr/acme/app:1", OutcomeRewritten},
		{FieldContainers, "cached", "proxy.example.internal/quay/calico/node:v3", OutcomeAlreadyProxied},
		{FieldContainers, "private", "registry.corp.example/team/app:2", OutcomeNoRule},
		{FieldEphemeralContainers, "debug", "proxy.example.internal/dockerhub/nicolaka/netshoot", OutcomeRewritten},
	}
	changes := r.PodSpec(spec)
	if len(changes) != len(want) {
		t.Fatalf("got %d changes, want %d", len(changes), len(want))
	}
	for i, w := range want {
		c := changes[i]
		if c.Field != w.field || c.Container != w.container || c.Image != w.image || c.Outcome != w.outcome {
			t.Errorf("change %d = %s/%s %q %s, want %s/%s %q %s", i, c.Field, c.Container, c.Image, c.Outcome, w.field, w.container, w.image, w.outcome)
		}
	}
	if spec.Containers[0].Image != "ghcr.io/acme/app:1" {
		t.Fatal("PodSpec changed the spec; only Apply may")
	}
	if n := Apply(spec, changes); n != 3 {
		t.Errorf("Apply set %d images, want 3", n)
	}
	got := []string{spec.InitContainers[0].Image, spec.InitContainers[1].Image, spec.Containers[0].Image,
		spec.Containers[1].Image, spec.Containers[2].Image, spec.EphemeralContainers[0].Image}
	for i, w := range want {
		if got[i] != w.image {
			t.Errorf("after Apply, %s = %q, want %q", w.container, got[i], w.image)
		}
	}
	if again := r.PodSpec(spec); Apply(spec, again) != 0 {
		t.Error("a second pass rewrote something: not a fixed point")
	}
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "redis"}}}
	changes := Skipped(spec, OutcomeOptedOut)
	var outcomes []Outcome
	for _, c := range changes {
		outcomes = append(outcomes, c.Outcome)
	}
	if !reflect.DeepEqual(outcomes, []Outcome{OutcomeOptedOut, OutcomeOptedOut}) || Apply(spec, changes) != 0 {
		t.Errorf("Skipped = %v; it must count every image and change none", outcomes)
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	spec := &corev1.PodSpec{
		InitContainers:      []corev1.Container{{Name: "i", Image: "a"}},
		Containers:          []corev1.Container{{Name: "c", Image: "b"}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e", Image: "c"}}},
	}
	var got []string
	for _, c := range Images(spec) {
		if c.Outcome != "" || c.Image != c.Old {
			t.Errorf("Images decided something: %+v", c)
		}
		got = append(got, c.Field+"/"+c.Container+"="+c.Old)
	}
	want := []string{"initContainers/i=a", "containers/c=b", "ephemeralContainers/e=c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Images = %v, want %v", got, want)
	}
}

func TestPodSpecPath(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]int{"Pod": 1, "Deployment": 3, "CronJob": 5, "ConfigMap": 0} {
		p, ok := PodSpecPath(kind)
		if len(p) != want || ok != (want > 0) {
			t.Errorf("PodSpecPath(%s) = %v, %v", kind, p, ok)
		}
	}
}
