package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/selftest"
	"github.com/pullthrough/pullthrough/wellknown"
)

const (
	hub   = "proxy.example.internal/dockerhub/"
	quay  = "proxy.example.internal/quay/"
	ghcr  = "proxy.example.internal/ghcr/"
	k8sIO = "proxy.example.internal/k8s/"
)

// allListsPod has an image from a public registry in every place the
// kubelet pulls from: every container list (the ephemeral one is added
// later, through its subresource) and an image volume, named like a
// container so that their records must not collide.
func allListsPod(name string) *corev1.Pod {
	always := corev1.ContainerRestartPolicyAlways
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "install-cni", Image: "quay.io/calico/cni:v3.28.0"},
				{Name: "log-shipper", Image: "ghcr.io/acme/shipper:2", RestartPolicy: &always},
			},
			Containers: []corev1.Container{
				{Name: "app", Image: "nginx:1.27"},
				{Name: "private", Image: "registry.corp.example/team/app:1"},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "app", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: modelsImage, PullPolicy: corev1.PullIfNotPresent}}},
			},
		},
	}
}

// modelsImage is the image volume's: tag and digest, both kept.
const modelsImage = "ghcr.io/acme/models:v3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var allListsRewritten = map[string]string{
	"install-cni": quay + "calico/cni:v3.28.0",
	"log-shipper": ghcr + "acme/shipper:2",
	"app":         hub + "library/nginx:1.27",
	"private":     "registry.corp.example/team/app:1",
	"volume:app":  ghcr + strings.TrimPrefix(modelsImage, "ghcr.io/"),
}

func TestWebhook(t *testing.T) {
	e := startEnv(t, true)
	for _, ns := range []struct {
		name string
		mode config.Mode
	}{
		{"shop", ""}, {"audited", config.ModeAudit}, {"off", config.ModeOff}, {"excluded", ""}, {ReleaseNamespace, ""}, {"mesh", ""}, {"workloads", config.ModeEnforce},
		{"typo-caps", "Audit"}, {"typo-audti", "audti"}, {"typo-disabled", "disabled"}, {"labelled-enforce", config.ModeEnforce},
	} {
		e.namespace(t, ns.name, ns.mode)
	}
	t.Run("create rewrites every container list", func(t *testing.T) { createRewrites(t, e) })
	t.Run("ephemeral container via subresource", func(t *testing.T) { ephemeralRewritten(t, e) })
	t.Run("audit namespace annotates and warns", func(t *testing.T) { auditAnnotates(t, e) })
	t.Run("a mode label that is not a mode audits and says so", func(t *testing.T) { unknownModeAudits(t, e) })
	t.Run("off, excluded and release namespaces untouched", func(t *testing.T) { untouched(t, e) })
	t.Run("reinvocation rewrites an injected sidecar", func(t *testing.T) { reinvocation(t, e) })
	t.Run("server-side dry run", func(t *testing.T) { dryRun(t, e) })
	t.Run("already-proxied pod gets the pull secrets", func(t *testing.T) { alreadyProxied(t, e) })
	t.Run("an image volume alone gets the pull secrets; an unparsable one is admitted", func(t *testing.T) { volumeOnly(t, e) })
	t.Run("update of an unrelated field restarts nothing", func(t *testing.T) { updateUnrelated(t, e) })
	t.Run("deployment and daemonset pods", func(t *testing.T) { workloads(t, e) })
	t.Run("selftest proves the rewrite", func(t *testing.T) { selftestPasses(t, e) })
	t.Run("selftest fails where the webhook is not called", func(t *testing.T) {
		// Its own off namespace: "off" itself was moved to enforce above.
		e.namespace(t, "selftest-off", config.ModeOff)
		selftestFails(t, e, selftest.Target{Namespace: "selftest-off", Mode: config.ModeEnforce})
		selftestFails(t, e, selftest.Target{Namespace: "audited", Mode: config.ModeEnforce})
	})
	// Last: they stop the webhook server.
	t.Run("webhook down fails open", func(t *testing.T) { webhookDown(t, e) })
	t.Run("selftest fails while the webhook is down", func(t *testing.T) {
		selftestFails(t, e, selftest.Target{Namespace: "shop", Mode: config.ModeEnforce})
	})
}

func createRewrites(t *testing.T, e *env) {
	w := &kit.Warnings{}
	got, err := e.client(t, w).CoreV1().Pods("shop").Create(t.Context(), allListsPod("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); !maps.Equal(im, allListsRewritten) {
		t.Errorf("images = %v, want %v", im, allListsRewritten)
	}
	var originals map[string]string
	if err := json.Unmarshal([]byte(got.Annotations[wellknown.AnnotationOriginalImages]), &originals); err != nil || originals["app"] != "nginx:1.27" || originals["volume:app"] != modelsImage || len(originals) != 4 {
		t.Errorf("original-images annotation = %q (%v)", got.Annotations[wellknown.AnnotationOriginalImages], err)
	}
	if len(got.Spec.ImagePullSecrets) != 1 || got.Spec.ImagePullSecrets[0].Name != "proxy-pull" {
		t.Errorf("imagePullSecrets = %v, want [proxy-pull]", got.Spec.ImagePullSecrets)
	}
	if ws := w.List(); len(ws) != 4 || !strings.Contains(strings.Join(ws, "\n"), "pullthrough: app: nginx:1.27 -> "+hub+"library/nginx:1.27") ||
		!strings.Contains(strings.Join(ws, "\n"), "pullthrough: volume:app: "+modelsImage+" -> "+allListsRewritten["volume:app"]) {
		t.Errorf("warnings = %q, want one per rewritten image", ws)
	}
}

func ephemeralRewritten(t *testing.T, e *env) {
	cs := e.client(t, nil)
	pod, err := cs.CoreV1().Pods("shop").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// What kubectl debug does: add an ephemeral container through the subresource.
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "nicolaka/netshoot:v0.13"},
		TargetContainerName:      "app",
	})
	got, err := cs.CoreV1().Pods("shop").UpdateEphemeralContainers(t.Context(), "web", pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(allListsRewritten)
	want["debugger"] = hub + "nicolaka/netshoot:v0.13"
	if im := images(got.Spec); !maps.Equal(im, want) {
		t.Errorf("images = %v, want %v", im, want)
	}
}

func auditAnnotates(t *testing.T, e *env) {
	w := &kit.Warnings{}
	got, err := e.client(t, w).CoreV1().Pods("audited").Create(t.Context(), allListsPod("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) {
		t.Errorf("audit changed images: %v", im)
	}
	var proposed map[string]string
	if err := json.Unmarshal([]byte(got.Annotations[wellknown.AnnotationWouldRewrite]), &proposed); err != nil || proposed["app"] != hub+"library/nginx:1.27" || proposed["volume:app"] != allListsRewritten["volume:app"] {
		t.Errorf("would-rewrite annotation = %q (%v)", got.Annotations[wellknown.AnnotationWouldRewrite], err)
	}
	if _, ok := got.Annotations[wellknown.AnnotationOriginalImages]; ok || len(got.Spec.ImagePullSecrets) != 0 {
		t.Error("audit must not record rewrites nor add pull secrets")
	}
	if ws := w.List(); len(ws) != 4 || !strings.HasPrefix(ws[0], "pullthrough audit: ") {
		t.Errorf("warnings = %q, want 4 audit warnings", ws)
	}
}

// unknownModeAudits: a mistyped pullthrough.dev/mode never enforces; the
// pod is admitted unchanged, annotated as in audit, with a warning that
// names the label first. An explicit enforce label rewrites.
func unknownModeAudits(t *testing.T, e *env) {
	for _, ns := range []string{"typo-caps", "typo-audti", "typo-disabled"} {
		w := &kit.Warnings{}
		got, err := e.client(t, w).CoreV1().Pods(ns).Create(t.Context(), allListsPod("web"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) {
			t.Errorf("%s: images changed: %v", ns, im)
		}
		if _, ok := got.Annotations[wellknown.AnnotationWouldRewrite]; !ok {
			t.Errorf("%s: no %s annotation: the pod was not audited", ns, wellknown.AnnotationWouldRewrite)
		}
		if ws := w.List(); len(ws) != 5 || ws[0] != wellknown.WarningUnknownMode || !strings.HasPrefix(ws[1], "pullthrough audit: ") {
			t.Errorf("%s: warnings = %q, want the unknown-mode warning, then 4 audit warnings", ns, ws)
		}
	}
	got, err := e.client(t, nil).CoreV1().Pods("labelled-enforce").Create(t.Context(), allListsPod("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); !maps.Equal(im, allListsRewritten) {
		t.Errorf("labelled enforce: images = %v, want %v", im, allListsRewritten)
	}
}

func untouched(t *testing.T, e *env) {
	cs := e.client(t, nil)
	for _, ns := range []string{"off", "excluded", ReleaseNamespace} {
		got, err := cs.CoreV1().Pods(ns).Create(t.Context(), allListsPod("web"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) || len(got.Annotations) != 0 {
			t.Errorf("%s: pod changed: %v %v", ns, im, got.Annotations)
		}
	}
	skip := allListsPod("skipped")
	skip.Labels = map[string]string{wellknown.LabelSkip: "true"}
	got, err := cs.CoreV1().Pods("shop").Create(t.Context(), skip, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) {
		t.Errorf("opted-out pod changed: %v", im)
	}
}

func reinvocation(t *testing.T, e *env) {
	pod := allListsPod("meshed")
	pod.Labels = map[string]string{"sidecar.istio.io/inject": "true"}
	got, err := e.client(t, nil).CoreV1().Pods("mesh").Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(allListsRewritten)
	want["istio-proxy"] = hub + "istio/proxyv2:1.22.0"
	if im := images(got.Spec); !maps.Equal(im, want) {
		t.Errorf("images = %v, want %v (the injected sidecar must come back rewritten)", im, want)
	}
	var originals map[string]string
	if err := json.Unmarshal([]byte(got.Annotations[wellknown.AnnotationOriginalImages]), &originals); err != nil || originals["istio-proxy"] != istioImage || originals["app"] != "nginx:1.27" {
		t.Errorf("original-images must merge both calls: %q", got.Annotations[wellknown.AnnotationOriginalImages])
	}
}

func dryRun(t *testing.T, e *env) {
	cs := e.client(t, nil)
	got, err := cs.CoreV1().Pods("shop").Create(t.Context(), allListsPod("dry"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); !maps.Equal(im, allListsRewritten) {
		t.Errorf("dry-run images = %v", im)
	}
	if _, err := cs.CoreV1().Pods("shop").Get(t.Context(), "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry run stored the pod: %v", err)
	}
}

func alreadyProxied(t *testing.T, e *env) {
	// As a migrated template makes it: the image already points at the proxy.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "migrated"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: hub + "library/nginx:1.27"}}}}
	got, err := e.client(t, nil).CoreV1().Pods("shop").Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.ImagePullSecrets) != 1 || got.Spec.ImagePullSecrets[0].Name != "proxy-pull" || got.Spec.Containers[0].Image != hub+"library/nginx:1.27" {
		t.Errorf("pull secrets %v, image %q: want [proxy-pull] and the image unchanged", got.Spec.ImagePullSecrets, got.Spec.Containers[0].Image)
	}
	if _, ok := got.Annotations[wellknown.AnnotationOriginalImages]; ok {
		t.Error("nothing was rewritten, so nothing is recorded")
	}
}

func updateUnrelated(t *testing.T, e *env) {
	cs := e.client(t, nil)
	// Admitted while the webhook was not looking (off namespace), then moved
	// into enforce: a label change must not touch its images.
	if _, err := cs.CoreV1().Namespaces().Patch(t.Context(), "off", "application/merge-patch+json",
		[]byte(`{"metadata":{"labels":{"`+wellknown.LabelMode+`":"`+string(config.ModeEnforce)+`"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server caches namespace labels: repeat the label change until
	// an UPDATE has reached the webhook, then check it left the images alone.
	before := e.requests(t, "UPDATE")
	for i := 0; e.requests(t, "UPDATE") == before; i++ {
		if i == 100 {
			t.Fatal("no UPDATE reached the webhook after the namespace moved to enforce")
		}
		got, err := cs.CoreV1().Pods("off").Patch(t.Context(), "web", "application/merge-patch+json",
			[]byte(fmt.Sprintf(`{"metadata":{"labels":{"touched":"%d"}}}`, i)), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) || got.Annotations[wellknown.AnnotationOriginalImages] != "" {
			t.Fatalf("a label change rewrote images (would restart containers): %v", im)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Setting a new image on the same pod is rewritten.
	got, err := cs.CoreV1().Pods("off").Patch(t.Context(), "web", "application/strategic-merge-patch+json",
		[]byte(`{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im := images(got.Spec); im["app"] != hub+"library/nginx:1.28" || im["install-cni"] != "quay.io/calico/cni:v3.28.0" || im["volume:app"] != modelsImage {
		t.Errorf("after setting app's image: %v (only app must change)", im)
	}
}

func webhookDown(t *testing.T, e *env) {
	e.stop()
	got, err := e.client(t, nil).CoreV1().Pods("shop").Create(t.Context(), allListsPod("while-down"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("with failurePolicy Ignore, a pod must be created while the webhook is down: %v", err)
	}
	if im := images(got.Spec); !maps.Equal(im, images(allListsPod("").Spec)) {
		t.Errorf("images = %v, want the originals", im)
	}
}
