package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/wellknown"
)

// cliRun is one run of the binary: its exit code and both streams.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runCLI runs bin with args and returns how it ended.
func runCLI(t *testing.T, bin string, args ...string) cliRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%v: %v", args, err)
	}
	return cliRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// cliDeployments creates namespace ns with n Deployments d0..d(n-1) of nginx:1.27.
func cliDeployments(t *testing.T, cs kubernetes.Interface, ns string, n int) {
	t.Helper()
	kit.Namespace(t, cs, ns, nil)
	for i := range n {
		labels := map[string]string{"app": fmt.Sprintf("d%d", i)}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("d%d", i), Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
				},
			},
		}
		if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// cliMigrated is the image --apply gives nginx:1.27 with examples/config.yaml.
const cliMigrated = "proxy.example.internal/dockerhub/library/nginx:1.27"

// deploymentStates returns name -> "image record" for the Deployments of ns.
func deploymentStates(t *testing.T, cs kubernetes.Interface, ns string) map[string]string {
	t.Helper()
	list, err := cs.AppsV1().Deployments(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, d := range list.Items {
		states[d.Name] = d.Spec.Template.Spec.Containers[0].Image + " " + d.Annotations[wellknown.AnnotationMigratedImages]
	}
	return states
}

// TestMigrateCLI runs `pullthrough migrate` as a person or a Job would,
// against a real API server: usage errors exit 2 and change nothing, a plan
// and --undo alone change nothing, -o json is the report, a failed object
// exits 1 after the report, and SIGINT during an apply stops between
// batches, reports, exits 1 and leaves every object whole.
func TestMigrateCLI(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	bin := BuildBinary(t)
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	cliDeployments(t, cs, "cli", 3)
	base := []string{"migrate", "--config", "../examples/config.yaml", "--kubeconfig", c.KubeconfigPath(), "-n", "cli"}
	args := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }

	t.Run("usage errors exit 2", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{args("--server-dry-run"), "--server-dry-run needs --apply"},
			{args("--undo", "--server-dry-run"), "--server-dry-run needs --apply"},
			{args("-o", "yaml"), `-o "yaml": want table or json`},
			{args("--batch-size", "0"), "--batch-size 0"},
			{args("--qps", "0"), "--qps and --burst must be positive"},
			{args("extra"), "unexpected arguments"},
			{args("--no-such-flag"), "no-such-flag"},
			{[]string{"migrate", "--config", "does-not-exist.yaml"}, "does-not-exist.yaml"},
			{args("--kinds", "gadgets"), "gadgets"},
			{args("-l", "a in (b"), "label selector"},
		} {
			before := deploymentStates(t, cs, "cli")
			r := runCLI(t, bin, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args[1:], r.code, r.stderr, tt.want)
			}
			if after := deploymentStates(t, cs, "cli"); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("%v changed objects", tt.args[1:])
			}
		}
	})

	t.Run("plan and --undo alone change nothing", func(t *testing.T) {
		before := deploymentStates(t, cs, "cli")
		r := runCLI(t, bin, args("-o", "json")...)
		report := decodeReport(t, r)
		if r.code != 0 || report.Action != migrate.ActionPlan || report.Totals.Objects[migrate.StatusPlanned] != 3 {
			t.Errorf("plan: exit %d, action %s, totals %v; want 0, plan, 3 planned\n%s", r.code, report.Action, report.Totals.Objects, r.stderr)
		}
		if !strings.Contains(r.stderr, "run with --apply") {
			t.Errorf("plan summary %q does not say how to apply", r.stderr)
		}
		if after := deploymentStates(t, cs, "cli"); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("a plan changed objects: %v -> %v", before, after)
		}
	})

	t.Run("apply, then --undo plans and --undo --apply restores", func(t *testing.T) {
		r := runCLI(t, bin, args("--apply", "-o", "json")...)
		if report := decodeReport(t, r); r.code != 0 || report.Totals.Objects[migrate.StatusPatched] != 3 {
			t.Fatalf("apply: exit %d, totals %v\n%s", r.code, report.Totals.Objects, r.stderr)
		}
		migrated := deploymentStates(t, cs, "cli")
		r = runCLI(t, bin, args("--undo", "-o", "json")...)
		if report := decodeReport(t, r); r.code != 0 || report.Action != migrate.ActionUndo || report.Totals.Objects[migrate.StatusPlanned] != 3 {
			t.Errorf("--undo: exit %d, action %s, totals %v; want 0, undo, 3 planned", r.code, report.Action, report.Totals.Objects)
		}
		if !strings.Contains(r.stderr, "run with --undo --apply") {
			t.Errorf("undo plan summary %q does not say how to act on it", r.stderr)
		}
		if after := deploymentStates(t, cs, "cli"); fmt.Sprint(after) != fmt.Sprint(migrated) {
			t.Fatalf("--undo without --apply changed objects: %v -> %v", migrated, after)
		}
		r = runCLI(t, bin, args("--undo", "--apply")...)
		if r.code != 0 || !strings.Contains(r.stderr, "migrate undo: 3 patched") {
			t.Errorf("--undo --apply: exit %d, stderr %q", r.code, r.stderr)
		}
		for name, state := range deploymentStates(t, cs, "cli") {
			if state != "nginx:1.27 " {
				t.Errorf("%s after undo: %q, want nginx:1.27 and no record", name, state)
			}
		}
	})

	t.Run("a failed object exits 1 after the report", func(t *testing.T) {
		d, err := cs.AppsV1().Deployments("cli").Get(t.Context(), "d0", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Annotations = map[string]string{wellknown.AnnotationMigratedImages: "edited by hand"}
		if _, err := cs.AppsV1().Deployments("cli").Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, bin, args("--apply", "-o", "json")...)
		report := decodeReport(t, r)
		if r.code != 1 || report.Totals.Failed != 1 || report.Totals.Objects[migrate.StatusPatched] != 2 {
			t.Errorf("exit %d, totals %v; want 1 with 1 failed, 2 patched\n%s", r.code, report.Totals.Objects, r.stderr)
		}
	})

	t.Run("SIGINT mid-apply stops between batches", func(t *testing.T) { interruptApply(t, bin, cs, c) })
	t.Run("objects Argo CD, Flux and Helm manage", func(t *testing.T) { gitopsManaged(t, bin, cs, c) })
}

// gitopsManaged seeds Deployments labelled as Argo CD and Flux label them,
// one that no tool manages, and Istio's injector ConfigMap as a Helm release
// labels it, then runs the binary: the plan names them gitops-managed with
// their manager (the injector: Helm, values path global.hub), --apply
// patches only the unmanaged one, --emit writes the source changes into a
// new directory (and refuses a non-empty one), --include-managed patches
// them.
func gitopsManaged(t *testing.T, bin string, cs kubernetes.Interface, c *cluster.Cluster) {
	const ns = "cli-gitops"
	cliDeployments(t, cs, ns, 3) // d0 Argo CD's, d1 Flux's, d2 no tool's
	for name, meta := range map[string]metav1.ObjectMeta{
		"d0": {Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "web:apps/Deployment:cli-gitops/d0"}},
		"d1": {Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
	} {
		d, err := cs.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Labels, d.Annotations = meta.Labels, meta.Annotations
		if _, err := cs.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kit.Namespace(t, cs, "istio-system", nil)
	injector := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "istio-sidecar-injector", Namespace: "istio-system",
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm", "operator.istio.io/component": "Pilot", "istio.io/rev": "default"},
			Annotations: map[string]string{"meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system"}},
		Data: map[string]string{"values": `{"global":{"hub":"docker.io/istio","tag":"1.22.0"}}`},
	}
	if _, err := cs.CoreV1().ConfigMaps("istio-system").Create(t.Context(), injector, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	args := func(extra ...string) []string {
		return append([]string{"migrate", "--config", "../examples/config.yaml", "--kubeconfig", c.KubeconfigPath(), "-n", ns, "-n", "istio-system"}, extra...)
	}
	injectorValues := func() string {
		cm, err := cs.CoreV1().ConfigMaps("istio-system").Get(t.Context(), "istio-sidecar-injector", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["values"]
	}

	r := runCLI(t, bin, args("-o", "json")...)
	report := decodeReport(t, r)
	want := map[string]string{"d0": "Argo CD Application web", "d1": "Flux Kustomization flux-system/apps", "istio-sidecar-injector": "Helm release istio-system/istiod"}
	for _, o := range report.Objects {
		switch manager, managed := want[o.Name]; {
		case managed && (o.Status != migrate.StatusGitOpsManaged || o.Manager == nil || o.Manager.String() != manager):
			t.Errorf("plan: %s is %s, managed by %v; want %s, %s", o.Name, o.Status, o.Manager, migrate.StatusGitOpsManaged, manager)
		case !managed && o.Status != migrate.StatusPlanned:
			t.Errorf("plan: %s is %s, want planned", o.Name, o.Status)
		case o.Name == "istio-sidecar-injector" && fmt.Sprint(o.Manager.Values) != "[global.hub]":
			t.Errorf("plan: the injector's values paths are %q, want [global.hub]", o.Manager.Values)
		}
	}
	if r.code != 0 || !strings.Contains(r.stderr, "--include-managed") {
		t.Errorf("plan: exit %d, stderr %q; want 0 and a summary naming --include-managed", r.code, r.stderr)
	}

	r = runCLI(t, bin, args("--apply", "-o", "json")...)
	if report := decodeReport(t, r); r.code != 0 || report.Totals.Objects[migrate.StatusPatched] != 1 || report.Totals.Objects[migrate.StatusGitOpsManaged] != 3 {
		t.Errorf("apply: exit %d, totals %v; want 1 patched, 3 gitops-managed\n%s", r.code, report.Totals.Objects, r.stderr)
	}
	states := deploymentStates(t, cs, ns)
	if states["d0"] != "nginx:1.27 " || states["d1"] != "nginx:1.27 " || !strings.HasPrefix(states["d2"], cliMigrated) ||
		injectorValues() != injector.Data["values"] {
		t.Errorf("after --apply: %v, injector %s; want only d2 migrated", states, injectorValues())
	}

	dir := filepath.Join(t.TempDir(), "changes")
	r = runCLI(t, bin, args("--emit", dir)...)
	if r.code != 0 {
		t.Fatalf("--emit: exit %d\n%s", r.code, r.stderr)
	}
	for file, line := range map[string]string{
		"argocd/web/kustomization.yaml":                      "  newName: " + strings.TrimSuffix(cliMigrated, ":1.27"),
		"flux/kustomization/flux-system/apps/manifests.yaml": "      - image: " + cliMigrated,
		"helm/istio-system/istiod/values.yaml":               "  hub: proxy.example.internal/dockerhub/istio",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !slices.Contains(strings.Split(string(b), "\n"), line) {
			t.Errorf("--emit: %s (%v) lacks %q:\n%s", file, err, line, b)
		}
	}
	if r := runCLI(t, bin, args("--emit", dir)...); r.code != 2 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("--emit into a non-empty directory: exit %d, stderr %q; want 2, not empty", r.code, r.stderr)
	}

	r = runCLI(t, bin, args("--apply", "--include-managed", "-o", "json")...)
	if report := decodeReport(t, r); r.code != 0 || report.Totals.Objects[migrate.StatusPatched] != 3 {
		t.Errorf("--include-managed --apply: exit %d, totals %v; want 3 patched\n%s", r.code, report.Totals.Objects, r.stderr)
	}
	for name, state := range deploymentStates(t, cs, ns) {
		if !strings.HasPrefix(state, cliMigrated+" ") {
			t.Errorf("%s after --include-managed: %q, want migrated", name, state)
		}
	}
	if got := injectorValues(); !strings.Contains(got, `"hub":"proxy.example.internal/dockerhub/istio"`) {
		t.Errorf("injector after --include-managed: %s", got)
	}
}

// decodeReport reads a -o json report from a run's stdout.
func decodeReport(t *testing.T, r cliRun) *migrate.Report {
	t.Helper()
	var report migrate.Report
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("stdout is not a JSON report (%v): %q; stderr %q", err, r.stdout, r.stderr)
	}
	return &report
}

// interruptApply applies 6 Deployments one per batch with a pause, sends
// SIGINT once the first batch is reported, and checks the run stopped: exit
// 1, a report with patched and still-planned objects, and every Deployment
// either migrated whole (image and record) or untouched.
func interruptApply(t *testing.T, bin string, cs kubernetes.Interface, c *cluster.Cluster) {
	cliDeployments(t, cs, "sigint", 6)
	cmd := exec.Command(bin, "migrate", "--config", "../examples/config.yaml", "--kubeconfig", c.KubeconfigPath(),
		"-n", "sigint", "--apply", "--batch-size", "1", "--pause", "1s", "-o", "json")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "migrate: batch 1/6") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	rest, _ := io.ReadAll(stderr) // the pipe closes when the process exits
	log.Write(rest)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		// An exit status is checked below; anything else is a failure to wait.
		if exitErr := (*exec.ExitError)(nil); err != nil && !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 60s after SIGINT:\n%s", log.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d after SIGINT, want 1\n%s", code, log.String())
	}
	report := decodeReport(t, cliRun{stdout: stdout.String(), stderr: log.String()})
	patched, planned := report.Totals.Objects[migrate.StatusPatched], report.Totals.Objects[migrate.StatusPlanned]
	if patched < 1 || planned < 1 || patched+planned != 6 {
		t.Errorf("report after SIGINT: %v; want some patched, the rest still planned", report.Totals.Objects)
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("stderr does not say the run stopped:\n%s", log.String())
	}
	migratedState := cliMigrated + ` {"/spec/template/spec/containers/0/image":"nginx:1.27"}`
	n := 0
	for name, state := range deploymentStates(t, cs, "sigint") {
		switch state {
		case migratedState:
			n++
		case "nginx:1.27 ":
		default:
			t.Errorf("%s is half-patched: %q", name, state)
		}
	}
	if n != patched {
		t.Errorf("%d Deployments migrated, the report says %d patched", n, patched)
	}
}
