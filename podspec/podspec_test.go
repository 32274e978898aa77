package podspec

import (
	"encoding/json"
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
		Volumes: []Volume{
			{Name: "config"}, // not an image volume: no image
			{Name: "app", Image: &VolumeImage{Reference: "ghcr.io/acme/models:v3@sha256:" + digest}},
			{Name: "empty", Image: &VolumeImage{}},
		},
	}
	want := []struct {
		field, name, key, label, pointer, image string
		outcome                                 rewrite.Outcome
	}{
		{FieldInitContainers, "init", "init", "init:init", "/initContainers/0/image", "busybox:1.36", rewrite.OutcomeExcludedImage},
		{FieldInitContainers, "istio-proxy", "istio-proxy", "init:istio-proxy", "/initContainers/1/image", "proxy.example.internal/dockerhub/istio/proxyv2:1.22.0", rewrite.OutcomeRewritten},
		{FieldContainers, "app", "app", "app", "/containers/0/image", "proxy.example.internal/ghcr/acme/app:1", rewrite.OutcomeRewritten},
		{FieldContainers, "cached", "cached", "cached", "/containers/1/image", "proxy.example.internal/quay/calico/node:v3", rewrite.OutcomeAlreadyProxied},
		{FieldContainers, "private", "private", "private", "/containers/2/image", "registry.corp.example/team/app:2", rewrite.OutcomeNoRule},
		{FieldEphemeralContainers, "debug", "debug", "ephemeral:debug", "/ephemeralContainers/0/image", "proxy.example.internal/dockerhub/nicolaka/netshoot", rewrite.OutcomeRewritten},
		// A volume named like a container keys apart from it; its index
		// counts the volumes that are not images.
		{FieldVolumes, "app", "volume:app", "volume:app", "/volumes/1/image/reference", "proxy.example.internal/ghcr/acme/models:v3@sha256:" + digest, rewrite.OutcomeRewritten},
		{FieldVolumes, "empty", "volume:empty", "volume:empty", "/volumes/2/image/reference", "", rewrite.OutcomeUnparseable},
	}
	changes := Decide(r, spec)
	if len(changes) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(changes), len(want), changes)
	}
	for i, w := range want {
		c := changes[i]
		got := []string{c.Field, c.Name, c.Key(), c.Label(), c.Pointer(c.Index), c.Image, string(c.Outcome)}
		exp := []string{w.field, w.name, w.key, w.label, w.pointer, w.image, string(w.outcome)}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("change %d = %q, want %q", i, got, exp)
		}
		if !spec.Holds(c) {
			t.Errorf("change %d: the spec it was decided on does not hold it", i)
		}
	}
	if spec.Containers[0].Image != "ghcr.io/acme/app:1" || spec.Volumes[1].Image.Reference != "ghcr.io/acme/models:v3@sha256:"+digest {
		t.Fatal("Decide changed the spec")
	}
}

// digest is a well-formed sha256 digest.
const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestHolds: a change is held only by the entry it was decided on.
func TestHolds(t *testing.T) {
	t.Parallel()
	spec := &Spec{
		Containers: []Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "redis"}},
		Volumes:    []Volume{{Name: "m", Image: &VolumeImage{Reference: "ghcr.io/x/m:1"}}},
	}
	changes := Skipped(spec, "")
	for _, tc := range []struct {
		name string
		edit func(c *Change)
		want bool
	}{
		{"as decided", func(*Change) {}, true},
		{"index moved", func(c *Change) { c.Index = 1 }, false},
		{"index out of range", func(c *Change) { c.Index = 9 }, false},
		{"other name", func(c *Change) { c.Name = "b" }, false},
		{"other image", func(c *Change) { c.Old = "nginx:2" }, false},
		{"other location", func(c *Change) { c.Location = &Locations[0] }, false},
	} {
		c := changes[0]
		tc.edit(&c)
		if got := spec.Holds(c); got != tc.want {
			t.Errorf("%s: Holds = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !spec.Holds(changes[2]) {
		t.Error("the image volume's change is not held by its spec")
	}
}

// TestDecodeVolumes: a pod spec's JSON decodes every volume, and only image
// volumes are images: one with image: {} is an image with an empty
// reference, reported rather than missed.
func TestDecodeVolumes(t *testing.T) {
	t.Parallel()
	var spec Spec
	raw := `{"containers":[{"name":"c","image":"nginx"}],"volumes":[{"name":"cfg","configMap":{"name":"x"}},{"name":"m","image":{"reference":"ghcr.io/a/m:1","pullPolicy":"IfNotPresent"}},{"name":"e","image":{}}]}`
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Skipped(&spec, "") {
		got = append(got, c.Label()+"="+c.Old)
	}
	want := []string{"c=nginx", "volume:m=ghcr.io/a/m:1", "volume:e="}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("images = %q, want %q", got, want)
	}
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	spec := &Spec{Containers: []Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "redis"}}}
	for _, why := range []rewrite.Outcome{rewrite.OutcomeOptedOut, ""} {
		var outcomes []rewrite.Outcome
		for _, c := range Skipped(spec, why) {
			if c.Image != c.Old {
				t.Errorf("Skipped(%q) changed %s's image to %q", why, c.Name, c.Image)
			}
			outcomes = append(outcomes, c.Outcome)
		}
		if !reflect.DeepEqual(outcomes, []rewrite.Outcome{why, why}) {
			t.Errorf("Skipped(%q) = %v; it must give every image the outcome", why, outcomes)
		}
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
		Volumes: []corev1.Volume{
			{Name: "h", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "i", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "j"}}},
		},
	})
	want := &Spec{
		InitContainers:      []Container{{"i", "a"}},
		Containers:          []Container{{"c", "b"}, {"d", "e"}},
		EphemeralContainers: []Container{{"f", "g"}},
		Volumes:             []Volume{{Name: "h"}, {Name: "i", Image: &VolumeImage{Reference: "j"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromPodSpec = %+v, want %+v", got, want)
	}
}
