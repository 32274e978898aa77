package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/wellknown"
)

// pullSecretValues: the replicator copies proxy-pull; team-creds, the second
// pull secret, is each team's own, so a namespace can lack it.
const pullSecretValues = `
config:
  mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]
  mode: enforce
  imagePullSecrets: [proxy-pull, team-creds]
pullSecrets:
  replicate: {enabled: true, name: proxy-pull}
`

// dockerConfig is a pull secret's data.
func dockerConfig(auth string) map[string][]byte {
	return map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"harbor.platform.internal":{"auth":"` + auth + `"}}}`)}
}

// TestPullSecrets runs `pullthrough webhook` with the chart's pull-secret
// flags as its ServiceAccount, holding nothing but the chart's RBAC, on a
// real API server with its garbage collector: a new namespace holds the copy
// before its first pod is created; a namespace lacking the other pull secret
// has its pod's image left as written (no-pull-secret, warned, counted); a
// Secret of the same name someone else wrote is left alone; rotation,
// removal with the source, and removal by the garbage collector when the
// replicator's ClusterRole goes (the replicator switched off). The
// ServiceAccount can do nothing else with Secrets.
func TestPullSecrets(t *testing.T) {
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster.StartForTest(t, cluster.Options{ControllerManager: true,
		WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped}})
	objs := renderChart(t, pullSecretValues, "templates/serviceaccount.yaml", "templates/configmap.yaml",
		"templates/pullsecrets-rbac.yaml", "templates/deployment.yaml")
	dep := only[*appsv1.Deployment](t, objs)
	cfg := only[*corev1.ConfigMap](t, objs)
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: dep.Namespace, Name: "proxy-pull"},
		Type: corev1.SecretTypeDockerConfigJson, Data: dockerConfig("djE=")}
	for _, ns := range []string{dep.Namespace, "own"} {
		kit.Namespace(t, admin, ns, nil)
	}
	mustDo(t, createSecret(ctx, admin, source))
	// Someone's own Secret of the same name, and the default namespace's
	// team secret (the API server's readiness probe creates pods there).
	own := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "own", Name: "proxy-pull"}, Type: corev1.SecretTypeDockerConfigJson, Data: dockerConfig("b3du")}
	mustDo(t, createSecret(ctx, admin, own))
	mustDo(t, createSecret(ctx, admin, teamCreds("default")))
	install(t, c, slices.DeleteFunc(slices.Clone(objs), func(o runtime.Object) bool { _, isDep := o.(*appsv1.Deployment); return isDep }))
	user := serviceAccountUser(t, c, dep.Namespace, dep.Spec.Template.Spec.ServiceAccountName)
	hook := startHook(t, c, dep, cfg.Data["config.yaml"], user.KubeconfigPath)

	t.Run("a new namespace holds the copy before its first pod", func(t *testing.T) {
		start := time.Now()
		// Later subtests use it: kit.CreateNamespace, not kit.Namespace.
		mustDo(t, kit.CreateNamespace(ctx, admin, "shop", nil))
		mustDo(t, createSecret(ctx, admin, teamCreds("shop")))
		waitCopy(t, admin, "shop", source)
		t.Logf("copy in the new namespace %s after its creation", time.Since(start).Round(time.Millisecond))
		got := createPod(t, c, "shop", nil)
		if img := got.Spec.Containers[0].Image; img != "harbor.platform.internal/dockerhub/library/nginx:1" {
			t.Errorf("image %s, want it through the proxy", img)
		}
		if n := len(got.Spec.ImagePullSecrets); n != 2 {
			t.Errorf("imagePullSecrets %v, want both", got.Spec.ImagePullSecrets)
		}
	})
	t.Run("a namespace lacking a pull secret keeps the image as written", func(t *testing.T) {
		mustDo(t, kit.CreateNamespace(ctx, admin, "bare", nil))
		waitCopy(t, admin, "bare", source) // proxy-pull arrives; team-creds never does
		const series = `pullthrough_images_total{outcome="no-pull-secret",registry="docker.io"}`
		before, err := hook.Sample(ctx, series)
		mustDo(t, err)
		w := &kit.Warnings{}
		got := createPod(t, c, "bare", w)
		if img := got.Spec.Containers[0].Image; img != "nginx:1" || len(got.Spec.ImagePullSecrets) != 0 {
			t.Errorf("image %s, pull secrets %v: want the image as written and no pull secret", img, got.Spec.ImagePullSecrets)
		}
		if want := "pullthrough: app: namespace lacks the proxy's pull secret, kept nginx:1"; !slices.Contains(w.List(), want) {
			t.Errorf("warnings %q, want %q", w.List(), want)
		}
		after, err := hook.Sample(ctx, series)
		mustDo(t, err)
		if after != before+1 {
			t.Errorf("%s went from %v to %v, want one more", series, before, after)
		}
	})
	t.Run("someone else's Secret of the name is left alone", func(t *testing.T) {
		got, err := admin.CoreV1().Secrets("own").Get(ctx, "proxy-pull", metav1.GetOptions{})
		mustDo(t, err)
		if string(got.Data[corev1.DockerConfigJsonKey]) != string(own.Data[corev1.DockerConfigJsonKey]) || got.Labels[wellknown.LabelCopiedFrom] != "" {
			t.Errorf("own/proxy-pull was overwritten: %v %s", got.Labels, got.Data[corev1.DockerConfigJsonKey])
		}
	})
	t.Run("rotation", func(t *testing.T) {
		got, err := admin.CoreV1().Secrets(source.Namespace).Get(ctx, source.Name, metav1.GetOptions{})
		mustDo(t, err)
		got.Data = dockerConfig("djI=")
		_, err = admin.CoreV1().Secrets(source.Namespace).Update(ctx, got, metav1.UpdateOptions{})
		mustDo(t, err)
		for _, ns := range []string{"shop", "bare", "default"} {
			waitCopy(t, admin, ns, got)
		}
	})
	t.Run("only the one name, and no other Secret", func(t *testing.T) {
		kit.Namespace(t, admin, "tokens", kit.ModeLabels("off"))
		forbidden(t, user.Config)
	})
	t.Run("removal with the source", func(t *testing.T) {
		mustDo(t, admin.CoreV1().Secrets(source.Namespace).Delete(ctx, source.Name, metav1.DeleteOptions{}))
		for _, ns := range []string{"shop", "bare", "default"} {
			waitGone(t, admin, ns)
		}
		if _, err := admin.CoreV1().Secrets("own").Get(ctx, "proxy-pull", metav1.GetOptions{}); err != nil {
			t.Errorf("own/proxy-pull: %v, want it kept", err)
		}
	})
	t.Run("switched off: the garbage collector removes the copies", func(t *testing.T) {
		source.ResourceVersion = ""
		mustDo(t, createSecret(ctx, admin, source))
		waitCopy(t, admin, "shop", source)
		hook.Kill()
		role := only[*rbacv1.ClusterRole](t, slices.DeleteFunc(slices.Clone(objs), func(o runtime.Object) bool {
			r, ok := o.(*rbacv1.ClusterRole)
			return !ok || !strings.HasSuffix(r.Name, "-pull-secret-replicator")
		}))
		mustDo(t, admin.RbacV1().ClusterRoles().Delete(ctx, role.Name, metav1.DeleteOptions{}))
		for _, ns := range []string{"shop", "bare", "default"} {
			waitGone(t, admin, ns)
		}
	})
}

// startHook runs the webhook binary with the Deployment's pull-secret flags
// as the kubeconfig's user, its log kept in a file shown if t fails.
func startHook(t *testing.T, c *cluster.Cluster, dep *appsv1.Deployment, config, kubeconfig string) *e2e.Webhook {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	mustDo(t, os.WriteFile(path, []byte(config), 0o600))
	logPath := filepath.Join(dir, "webhook.log")
	logs, err := os.Create(logPath)
	mustDo(t, err)
	extra := []string{"--kubeconfig=" + kubeconfig}
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--check-pull-secrets") || strings.HasPrefix(a, "--replicate-pull-secret=") || strings.HasPrefix(a, "--pull-secret-") {
			extra = append(extra, a)
		}
	}
	if len(extra) != 5 {
		t.Fatalf("the Deployment's pull-secret flags: %q", extra[1:])
	}
	hook, err := e2e.StartWebhook(t.Context(), e2e.BuildBinary(t), path, c, logs, extra...)
	t.Cleanup(func() {
		if hook != nil {
			hook.Kill()
		}
		_ = logs.Close()
		if t.Failed() {
			cluster.LogTail(t, logPath)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return hook
}

// forbidden tries, as the ServiceAccount, what its RBAC must refuse, and the
// grants it must hold.
func forbidden(t *testing.T, config *rest.Config) {
	t.Helper()
	sa, err := kubernetes.NewForConfig(config)
	mustDo(t, err)
	byName := func(name string) metav1.ListOptions {
		return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
	}
	apply := func(name string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("shop").Apply(ctx, corev1ac.Secret(name, "shop").WithStringData(map[string]string{"x": "y"}),
				metav1.ApplyOptions{FieldManager: "test"})
			return err
		}
	}
	patch := []byte(`{"metadata":{"labels":{"pwned":"true"}}}`)
	requests := []struct {
		name    string
		do      func(ctx context.Context) error
		allowed bool
		why     string // in the refusal, when not RBAC's
	}{
		{"list the replicated name in every namespace", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("").List(ctx, byName("proxy-pull"))
			return err
		}, true, ""},
		{"list the checked name in every namespace", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("").List(ctx, byName("team-creds"))
			return err
		}, true, ""},
		{"list every Secret of a namespace", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
			return err
		}, false, ""},
		{"list another name", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("").List(ctx, byName("default-token"))
			return err
		}, false, ""},
		{"get the copy (no get: reads come from the watch)", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("shop").Get(ctx, "proxy-pull", metav1.GetOptions{})
			return err
		}, false, ""},
		{"create another Secret", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{})
			return err
		}, false, ""},
		// A POST carries no name, so even the one name cannot be created so.
		{"create the name by POST", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("own").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "proxy-pull"}}, metav1.CreateOptions{})
			return err
		}, false, ""},
		{"apply another Secret", apply("other"), false, ""},
		// Allowed by RBAC, refused by the chart's admission policy: the
		// token controller would fill it with the ServiceAccount's token.
		{"apply the name as a service-account token", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("tokens").Apply(ctx, corev1ac.Secret("proxy-pull", "tokens").
				WithType(corev1.SecretTypeServiceAccountToken).WithAnnotations(map[string]string{corev1.ServiceAccountNameKey: "default"}),
				metav1.ApplyOptions{FieldManager: "test"})
			return err
		}, false, "only as a pull secret"},
		{"patch the team's Secret", func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets("shop").Patch(ctx, "team-creds", types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		}, false, ""},
		{"delete the team's Secret", func(ctx context.Context) error {
			return sa.CoreV1().Secrets("shop").Delete(ctx, "team-creds", metav1.DeleteOptions{})
		}, false, ""},
		{"list pods", func(ctx context.Context) error {
			_, err := sa.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			return err
		}, false, ""},
	}
	for _, r := range requests {
		err := r.do(t.Context())
		switch {
		case r.allowed && err != nil:
			t.Errorf("%s: %v, want it allowed", r.name, err)
		case !r.allowed && !apierrors.IsForbidden(err):
			t.Errorf("%s: %v, want it forbidden", r.name, err)
		case !r.allowed && !strings.Contains(err.Error(), r.why):
			t.Errorf("%s: %v, want it refused because %q", r.name, err, r.why)
		}
	}
}

// teamCreds is a team's own pull secret in ns.
func teamCreds(ns string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team-creds"}, Type: corev1.SecretTypeDockerConfigJson, Data: dockerConfig("dGVhbQ==")}
}

func createSecret(ctx context.Context, cs kubernetes.Interface, s *corev1.Secret) error {
	_, err := cs.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
	return err
}

// createPod creates a pod of nginx:1 in ns, its warnings to w if not nil.
func createPod(t *testing.T, c *cluster.Cluster, ns string, w *kit.Warnings) *corev1.Pod {
	t.Helper()
	cfg := c.Config()
	if w != nil {
		cfg.WarningHandler = w
	}
	cs, err := kubernetes.NewForConfig(cfg)
	mustDo(t, err)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}}}}
	got, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{})
	mustDo(t, err)
	return got
}

// waitCopy waits until ns holds a copy of source: its data and type, labelled.
func waitCopy(t *testing.T, cs kubernetes.Interface, ns string, source *corev1.Secret) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CoreV1().Secrets(ns).Get(ctx, source.Name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = string(got.Data[corev1.DockerConfigJsonKey])
		return got.Type == source.Type && last == string(source.Data[corev1.DockerConfigJsonKey]) &&
			got.Labels[wellknown.LabelCopiedFrom] == source.Namespace && len(got.OwnerReferences) == 1, nil
	})
	if err != nil {
		t.Fatalf("%s/%s: no current copy within 30s: %s", ns, source.Name, last)
	}
}

// waitGone waits until ns holds no proxy-pull.
func waitGone(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Secrets(ns).Get(ctx, "proxy-pull", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("%s/proxy-pull still there after a minute", ns)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
