package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// migratorValues: a migrator that applies, with one named ConfigMap target
// (team-a/injector) and one selected by label (app=addon in team-b).
const migratorValues = `
config:
  mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]
  mode: enforce
  migrate:
    configMaps:
      - {namespace: team-a, name: injector}
      - {namespace: team-b, selector: app=addon}
migrator:
  enabled: true
  apply: true
`

// TestMigratorConfigMapRBAC renders the chart's migrator with ConfigMap
// targets, installs its RBAC on a real API server and runs `pullthrough
// migrate --apply` with the Job's flags as the Job's ServiceAccount: the
// RBAC is enough for the run to patch the targets, and no more than that:
// the ServiceAccount can neither read nor patch another ConfigMap (on EKS,
// kube-system/aws-auth is cluster-admin), nor list ConfigMaps outside the
// targets' namespaces.
func TestMigratorConfigMapRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	objs := renderChart(t, migratorValues, "templates/configmap.yaml", "templates/migrator-rbac.yaml", "templates/migrator-job.yaml")
	job := only[*batchv1.Job](t, objs)
	cfg := only[*corev1.ConfigMap](t, objs)
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	const image = "docker.io/istio/proxyv2:1.24.0"
	data := map[string]string{"values": `{"image": "` + image + `"}`}
	for _, ns := range []string{job.Namespace, "team-a", "team-b"} {
		kit.Namespace(t, admin, ns, nil)
	}
	configMaps := []struct {
		ns, name string
		labels   map[string]string
		target   bool // the migrator must patch it
	}{
		{"team-a", "injector", nil, true},
		{"team-a", "other", nil, false},
		{"team-b", "addon", map[string]string{"app": "addon"}, true},
		{"team-b", "unlabelled", nil, false},
		{"kube-system", "aws-auth", nil, false},
	}
	for _, m := range configMaps {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: m.ns, Name: m.name, Labels: m.labels}, Data: data}
		if _, err := admin.CoreV1().ConfigMaps(m.ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	install(t, c, slices.DeleteFunc(slices.Clone(objs), func(o runtime.Object) bool { _, isJob := o.(*batchv1.Job); return isJob }))
	user := serviceAccountUser(t, c, job.Namespace, job.Spec.Template.Spec.ServiceAccountName)

	out, err := runMigrator(t, job, cfg.Data["config.yaml"], user.KubeconfigPath)
	if err != nil {
		t.Fatalf("pullthrough migrate as the Job's ServiceAccount: %v\n%s", err, out)
	}
	for _, m := range configMaps {
		got, err := admin.CoreV1().ConfigMaps(m.ns).Get(t.Context(), m.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if patched := !strings.Contains(got.Data["values"], image); patched != m.target {
			t.Errorf("ConfigMap %s/%s: patched %v, want %v: %q\n%s", m.ns, m.name, patched, m.target, got.Data["values"], out)
		}
	}

	sa, err := kubernetes.NewForConfig(user.Config)
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"metadata":{"labels":{"pwned":"true"}}}`)
	requests := []struct {
		name    string
		do      func(ctx context.Context) error
		allowed bool
	}{
		{"get the named target", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("team-a").Get(ctx, "injector", metav1.GetOptions{})
			return err
		}, true},
		{"list the selected targets' namespace", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("team-b").List(ctx, metav1.ListOptions{LabelSelector: "app=addon"})
			return err
		}, true},
		{"get kube-system/aws-auth", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
			return err
		}, false},
		{"patch kube-system/aws-auth", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("kube-system").Patch(ctx, "aws-auth", types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		}, false},
		{"get another ConfigMap beside the named target", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("team-a").Get(ctx, "other", metav1.GetOptions{})
			return err
		}, false},
		{"patch another ConfigMap beside the named target", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("team-a").Patch(ctx, "other", types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		}, false},
		{"list the named target's namespace", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("team-a").List(ctx, metav1.ListOptions{})
			return err
		}, false},
		{"list every namespace's ConfigMaps", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
			return err
		}, false},
		{"list kube-system's ConfigMaps", func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}, false},
	}
	for _, r := range requests {
		err := r.do(t.Context())
		switch {
		case r.allowed && err != nil:
			t.Errorf("%s: %v, want it allowed", r.name, err)
		case !r.allowed && !apierrors.IsForbidden(err):
			t.Errorf("%s: %v, want it forbidden", r.name, err)
		}
	}
}

// runMigrator runs `pullthrough migrate` with the Job's arguments, its
// --config replaced by a file holding config, as the kubeconfig's user.
func runMigrator(t *testing.T, job *batchv1.Job, config, kubeconfig string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range job.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--config=") {
			a = "--config=" + path
		}
		args = append(args, a)
	}
	cmd := exec.CommandContext(t.Context(), e2e.BuildBinary(t), append(args, "--kubeconfig="+kubeconfig)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// renderChart renders the chart's templates with values (helm template,
// release pullthrough in releaseNamespace) and decodes them.
func renderChart(t *testing.T, values string, templates ...string) []runtime.Object {
	t.Helper()
	var args []string
	for _, tpl := range templates {
		args = append(args, "--show-only", tpl)
	}
	return renderChartArgs(t, values, args...)
}

// renderChartArgs is renderChart with helm template's own arguments (e.g.
// --skip-tests, --kube-version) instead of a list of templates.
func renderChartArgs(t *testing.T, values string, extra ...string) []runtime.Object {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	helm := strings.TrimSpace(runIn(t, root, "hack/render-manifests.sh", "--print-helm"))
	args := append([]string{"template", "pullthrough", filepath.Join(root, "deploy/charts/pullthrough"),
		"--namespace", releaseNamespace, "-f", writeTemp(t, "values.yaml", []byte(values))}, extra...)
	return load(t, writeTemp(t, "rendered.yaml", []byte(runIn(t, root, helm, args...))))
}
