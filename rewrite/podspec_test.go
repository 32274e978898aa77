package rewrite

import (
	"reflect"
	"testing"
)

func TestPodSpec(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, testConfig)
	spec := &PodContainers{
		InitContainers: []Container{
			{Name: "init", Image: "busybox:1.36"},
			{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.22.0"},
		},
		Containers: []Container{
			{Name: "app", Image: "ghcr.io/acme/app:1"},
			{Name: "cached", Image: "proxy.example.internal/quay/calico/node:v3"},
			{Name: "private", Image: "registry.corp.example/team/app:2"},
		},
		EphemeralContainers: []Container{{Name: "debug", Image: "nicolaka/netshoot"}},
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
		t.Fatal("PodSpec changed the spec")
	}
	for _, c := range changes {
		spec.List(c.Field)[c.Index].Image = c.Image
	}
	for _, c := range r.PodSpec(spec) {
		if c.Outcome == OutcomeRewritten {
			t.Errorf("a second pass rewrote %s: not a fixed point", c.Container)
		}
	}
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	spec := &PodContainers{Containers: []Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "redis"}}}
	changes := Skipped(spec, OutcomeOptedOut)
	var outcomes []Outcome
	for _, c := range changes {
		outcomes = append(outcomes, c.Outcome)
	}
	if !reflect.DeepEqual(outcomes, []Outcome{OutcomeOptedOut, OutcomeOptedOut}) || changes[0].Image != "nginx" {
		t.Errorf("Skipped = %v; it must count every image and change none", outcomes)
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	spec := &PodContainers{
		InitContainers:      []Container{{Name: "i", Image: "a"}},
		Containers:          []Container{{Name: "c", Image: "b"}},
		EphemeralContainers: []Container{{Name: "e", Image: "c"}},
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
