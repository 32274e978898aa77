package inventory

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/wellknown"
)

func TestTransform(t *testing.T) {
	t.Parallel()
	full := realisticPod(t)
	full.Labels[wellknown.LabelSkip] = "false"
	full.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x", "other": "dropped"}
	full.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox", TTY: true}}}
	full.Spec.Volumes = append(full.Spec.Volumes, corev1.Volume{Name: "models", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "ghcr.io/acme/models:1", PullPolicy: corev1.PullAlways}}})
	got, err := Transform(full)
	if err != nil {
		t.Fatal(err)
	}
	kept := got.(*cachedPod)
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		// What the judgement reads is the same before and after (a volume's
		// index moves: volumes without an image are dropped).
		{"images", labelled(&kept.Spec), labelled(podspec.FromPodSpec(&full.Spec))},
		{"opted out", podspec.OptedOut(kept.Labels, kept.Annotations), podspec.OptedOut(full.Labels, full.Annotations)},
		{"skip label", kept.Labels, map[string]string{wellknown.LabelSkip: "false"}},
		{"mirror annotation only", kept.Annotations, map[string]string{corev1.MirrorPodAnnotationKey: "x"}},
		{"controller", kept.OwnerReferences, []metav1.OwnerReference{*metav1.GetControllerOf(full)}},
		{"image volumes only", kept.Spec.Volumes, []podspec.Volume{{Name: "models", Image: &podspec.VolumeImage{Reference: "ghcr.io/acme/models:1"}}}},
		// DeepCopyObject copies it whole.
		{"deep copy", kept.DeepCopyObject(), kept},
		// The informer's key is the same.
		{"key", key(t, kept), key(t, full)},
		// Everything else is gone.
		{"managed fields", len(kept.ManagedFields), 0},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
	marker := cache.DeletedFinalStateUnknown{Key: "a/b"}
	if got, err := Transform(marker); err != nil || got != marker {
		t.Errorf("Transform(deletion marker) = %v, %v; want it unchanged", got, err)
	}
}

func key(t *testing.T, obj any) string {
	t.Helper()
	k, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// labelled lists a spec's images as "label=image", in podspec's order.
func labelled(spec *podspec.Spec) []string {
	var out []string
	for _, c := range podspec.Skipped(spec, "") {
		out = append(out, c.Label()+"="+c.Old)
	}
	return out
}
