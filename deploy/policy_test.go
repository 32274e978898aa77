package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/policy"
)

// policyFile is the chart rendered with engine=policy.
const policyFile = "manifests/pullthrough-policy.yaml"

// policyConfigs are configs that, together, make Generate produce every
// object it can: the chart's ClusterRole must name each of them.
var policyConfigs = []struct {
	yaml  string
	guard policy.Guard
}{
	{"mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]\nmode: enforce\n", policy.GuardWarn},
	{"mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]\nmode: enforce\nunrouted: deny\n", policy.GuardDeny},
	{"mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]\nmode: audit\n", policy.GuardOff},
}

// TestPolicyEngineRendering checks the chart with engine=policy: no
// webhook configuration, certificate or webhook port; one replica running
// `pullthrough policy --apply --watch`, owned by the ClusterRole it is
// bound to; and that ClusterRole names every object Generate can produce.
func TestPolicyEngineRendering(t *testing.T) {
	t.Parallel()
	objs := load(t, policyFile)
	if n := len(all[*admissionregistrationv1.MutatingWebhookConfiguration](objs)); n != 0 {
		t.Errorf("%d MutatingWebhookConfigurations with engine=policy", n)
	}
	dep := only[*appsv1.Deployment](t, objs)
	pod := dep.Spec.Template.Spec
	args := pod.Containers[0].Args
	if deref(dep.Spec.Replicas) != int32(1) || args[0] != "policy" || !slices.Contains(args, "--apply") || !slices.Contains(args, "--watch") {
		t.Errorf("replicas %v, args %v: want one replica of policy --apply --watch", deref(dep.Spec.Replicas), args)
	}
	if containerPort(pod.Containers[0], "webhook") != "webhook" || slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == "certs" }) {
		t.Errorf("a webhook port or certificate volume with engine=policy: %+v", pod.Containers[0].Ports)
	}
	for _, s := range all[*corev1.Service](objs) {
		if slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "webhook" }) {
			t.Errorf("Service %s has a webhook port with engine=policy", s.Name)
		}
	}
	role := policyRole(t, objs, dep)
	if got := flag(args, "owner-cluster-role"); got != role.Name {
		t.Errorf("--owner-cluster-role=%s, want the bound ClusterRole %s", got, role.Name)
	}
	if !permits(role.Rules, "clusterroles", role.Name, "get") || permits(role.Rules, "clusterroles", "cluster-admin", "get") {
		t.Errorf("want get on ClusterRole %s and on no other: %+v", role.Name, role.Rules)
	}
	for _, name := range generatedNames(t) {
		resource, n, _ := strings.Cut(name, "/")
		for _, verb := range []string{"patch", "delete", "create", "list"} {
			if !permits(role.Rules, resource, n, verb) {
				t.Errorf("ClusterRole %s does not permit %s on %s", role.Name, verb, name)
			}
		}
		// Admission never sees admission policies: the names RBAC grants are
		// all that keeps a stolen token from writing any policy.
		for _, verb := range []string{"create", "patch", "delete"} {
			if permits(role.Rules, resource, "another-policy", verb) {
				t.Errorf("ClusterRole %s may %s %s it did not generate", role.Name, verb, resource)
			}
		}
	}
}

// policyRole is the ClusterRole bound to the Deployment's ServiceAccount.
func policyRole(t *testing.T, objs []runtime.Object, dep *appsv1.Deployment) *rbacv1.ClusterRole {
	t.Helper()
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		checkSubject(t, b.Name, b.Subjects, dep.Namespace, dep.Spec.Template.Spec.ServiceAccountName)
		for _, r := range all[*rbacv1.ClusterRole](objs) {
			if r.Name == b.RoleRef.Name {
				return r
			}
		}
	}
	t.Fatal("no ClusterRole bound to the policy engine's ServiceAccount")
	return nil
}

// generatedSets are the Sets Generate makes for policyConfigs.
func generatedSets(t *testing.T) []*policy.Set {
	t.Helper()
	var out []*policy.Set
	for _, c := range policyConfigs {
		cfg, err := config.Parse([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		set, err := policy.Generate(cfg, policy.Options{Guard: c.guard})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, set)
	}
	return out
}

// generatedNames lists "resource/name" of every object Generate makes for
// policyConfigs.
func generatedNames(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, set := range generatedSets(t) {
		for _, p := range set.Mutating {
			out = append(out, "mutatingadmissionpolicies/"+p.Name)
		}
		for _, b := range set.MutatingBindings {
			out = append(out, "mutatingadmissionpolicybindings/"+b.Name)
		}
		for _, p := range set.Validating {
			out = append(out, "validatingadmissionpolicies/"+p.Name)
		}
		for _, b := range set.ValidatingBindings {
			out = append(out, "validatingadmissionpolicybindings/"+b.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPolicyEngineRBAC runs the policy engine's process as its
// ServiceAccount, with the Deployment's flags and nothing but the RBAC the
// manifest grants, on a real API server: it must apply an enforce config's
// policies, owned by its ClusterRole, report ready, and prune the rewrite
// when the mounted config switches to audit mode.
func TestPolicyEngineRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	if !c.ServesAdmissionPolicies(t) {
		return
	}
	objs := load(t, policyFile)
	dep, user := installAsServiceAccount(t, c, objs)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(policyConfigs[0].yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	probePort := e2e.FreePort(t)
	var args []string
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		switch {
		case strings.HasPrefix(a, "--config="):
			a = "--config=" + cfgPath
		case strings.HasPrefix(a, "--metrics-bind-address="):
			a = "--metrics-bind-address=0"
		case strings.HasPrefix(a, "--health-probe-bind-address="):
			a = "--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(probePort)
		}
		args = append(args, a)
	}
	cmd := exec.CommandContext(t.Context(), e2e.BuildBinary(t), append(args, "--kubeconfig="+user.KubeconfigPath)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pullthrough %v:\n%s", args, out.String())
		}
	})
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	api := cs.AdmissionregistrationV1()
	role := policyRole(t, objs, dep)
	until := func(what string, cond func(context.Context) (bool, error)) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, cond); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	until("the rewrite applied as the ServiceAccount", func(ctx context.Context) (bool, error) {
		p, err := api.MutatingAdmissionPolicies().Get(ctx, policy.NameRewrite, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if refs := p.OwnerReferences; len(refs) != 1 || refs[0].Name != role.Name {
			return false, fmt.Errorf("owner references %+v, want ClusterRole %s", refs, role.Name)
		}
		return true, nil
	})
	until("/readyz", func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err := os.WriteFile(cfgPath, []byte(policyConfigs[2].yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	until("the rewrite pruned after the switch to audit mode", func(ctx context.Context) (bool, error) {
		_, err := api.MutatingAdmissionPolicies().Get(ctx, policy.NameRewrite, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if strings.Contains(out.String(), "forbidden") {
		t.Errorf("a request was forbidden:\n%s", out.String())
	}
}
