package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/wellknown"
)

// volumeOnly: a pod whose only public image is an image volume is rewritten
// and gets the proxy's pull secrets (the kubelet pulls the volume with
// them); an image volume whose reference does not parse (the API server
// checks only that a pod's is not empty) is admitted as it came, with a
// warning, never refused.
func volumeOnly(t *testing.T, e *env) {
	w := &kit.Warnings{}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "weights"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "server", Image: "registry.corp.example/team/server:1"}},
			Volumes: []corev1.Volume{
				{Name: "models", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "quay.io/acme/weights:2024"}}},
				{Name: "pending", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: unparsable}}},
			},
		},
	}
	got, err := e.client(t, w).CoreV1().Pods("shop").Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ref := got.Spec.Volumes[0].Image.Reference; ref != quay+"acme/weights:2024" {
		t.Errorf("volume models = %q, want it through the proxy", ref)
	}
	if got.Spec.Volumes[1].Image.Reference != unparsable || got.Spec.Containers[0].Image != "registry.corp.example/team/server:1" {
		t.Errorf("images that have no rule changed: %v", images(got.Spec))
	}
	if len(got.Spec.ImagePullSecrets) != 1 || got.Spec.ImagePullSecrets[0].Name != "proxy-pull" {
		t.Errorf("imagePullSecrets = %v, want [proxy-pull]: the volume is pulled from the proxy", got.Spec.ImagePullSecrets)
	}
	var originals map[string]string
	if err := json.Unmarshal([]byte(got.Annotations[wellknown.AnnotationOriginalImages]), &originals); err != nil || len(originals) != 1 || originals["volume:models"] != "quay.io/acme/weights:2024" {
		t.Errorf("original-images = %q (%v), want the volume's original alone", got.Annotations[wellknown.AnnotationOriginalImages], err)
	}
	if ws := strings.Join(w.List(), "\n"); !strings.Contains(ws, "pullthrough: volume:models: quay.io/acme/weights:2024 -> ") ||
		!strings.Contains(ws, `pullthrough: volume:pending: cannot read image reference "`+unparsable+`": left as is`) {
		t.Errorf("warnings = %q, want the rewrite and the unparsable reference named", ws)
	}
}

// unparsable is no reference: a repository name must be lower case.
const unparsable = "ghcr.io/Acme/Models:v3"
