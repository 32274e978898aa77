package podspec

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/rewrite"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t)
	spec := &Spec{
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
		outcome                 rewrite.Outcome
	}{
		{FieldInitContainers, "init", "busybox:1.36", rewrite.OutcomeExcludedImage},
		{FieldInitContainers, "istio-proxy", "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", rewrite.OutcomeRewritten},
		{FieldContainers, "app", "proxy.example.internal/ghcr/acme/app:1", rewrite.OutcomeRewritten},
		{FieldContainers, "cached", "proxy.example.internal/quay/calico/node:v3", rewrite.OutcomeAlreadyProxied},
		{FieldContainers, "private", "registry.corp.example/team/app:2", rewrite.OutcomeNoRule},
		{FieldEphemeralContainers, "debug", "proxy.example.internal/dockerhub/nicolaka/netshoot", rewrite.OutcomeRewritten},
	}
	changes := Decide(r, spec)
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
		t.Fatal("Decide changed the spec; only Apply may")
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
	if again := Decide(r, spec); Apply(spec, again) != 0 {
		t.Error("a second pass rewrote something: not a fixed point")
	}
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	spec := &Spec{Containers: []Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "redis"}}}
	changes := Skipped(spec, rewrite.OutcomeOptedOut)
	var outcomes []rewrite.Outcome
	for _, c := range changes {
		outcomes = append(outcomes, c.Outcome)
	}
	if !reflect.DeepEqual(outcomes, []rewrite.Outcome{rewrite.OutcomeOptedOut, rewrite.OutcomeOptedOut}) || Apply(spec, changes) != 0 {
		t.Errorf("Skipped = %v; it must count every image and change none", outcomes)
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	spec := &Spec{
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

func TestPathOf(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]int{"Pod": 1, "Deployment": 3, "CronJob": 5, "ConfigMap": 0} {
		p, ok := PathOf(kind)
		if len(p) != want || ok != (want > 0) {
			t.Errorf("PathOf(%s) = %v, %v", kind, p, ok)
		}
	}
}

// newTestRewriter routes the registries of TestDecide; it excludes busybox.
func newTestRewriter(t *testing.T) *rewrite.Rewriter {
	t.Helper()
	r, err := rewrite.New(rewrite.Rules{
		Mirrors: []rewrite.Mirror{
			{Source: "docker.io", Target: "proxy.example.internal/dockerhub"},
			{Source: "ghcr.io", Target: "proxy.example.internal/ghcr"},
			{Source: "quay.io", Target: "proxy.example.internal/quay"},
		},
		ExcludeImages: []string{"docker.io/library/busybox*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestKinds: every kind is listed once, with a pod-spec path that ends in a
// spec and an API resource; PathOf agrees with the table.
func TestKinds(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, k := range Kinds {
		if seen[k.Kind] {
			t.Errorf("%s is listed twice", k.Kind)
		}
		seen[k.Kind] = true
		if len(k.Path) == 0 || k.Path[len(k.Path)-1] != "spec" || k.Resource.Resource == "" {
			t.Errorf("%s: path %v, resource %v", k.Kind, k.Path, k.Resource)
		}
		if p, ok := PathOf(k.Kind); !ok || !reflect.DeepEqual(p, k.Path) {
			t.Errorf("PathOf(%s) = %v, %v; want %v", k.Kind, p, ok, k.Path)
		}
	}
}

func TestFromPodSpec(t *testing.T) {
	t.Parallel()
	got := FromPodSpec(&corev1.PodSpec{
		InitContainers:      []corev1.Container{{Name: "i", Image: "a", Command: []string{"x"}}},
		Containers:          []corev1.Container{{Name: "c", Image: "b"}, {Name: "d", Image: "e"}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "f", Image: "g"}}},
	})
	want := &Spec{
		InitContainers:      []Container{{"i", "a"}},
		Containers:          []Container{{"c", "b"}, {"d", "e"}},
		EphemeralContainers: []Container{{"f", "g"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromPodSpec = %+v, want %+v", got, want)
	}
}
