package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/fleet"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestReport runs `pullthrough report` on two real API servers, two contexts
// of one kubeconfig, and a third context nothing answers: the pods are
// created as they are left when the webhook failed open (public images),
// after a migration (proxy images), with excluded images, from an unrouted
// public registry, opted out and in an excluded namespace, each owned as
// controllers own them.
func TestReport(t *testing.T) {
	t.Parallel()
	bin := BuildBinary(t)
	eu := cluster.StartForTest(t, cluster.Options{})
	us := cluster.StartForTest(t, cluster.Options{})
	kubeconfig := fleetKubeconfig(t, map[string]*cluster.Cluster{"prod-eu": eu, "prod-us": us}, "gone")
	seedProdEU(t, eu)
	seedProdUS(t, us)
	args := []string{"report", "--config", "testdata/config-fleet.yaml", "--kubeconfig", kubeconfig, "--request-timeout", "5s"}

	t.Run("json rows across contexts", func(t *testing.T) {
		r := runCLI(t, bin, append(args, "--all-contexts", "-o", "json")...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1 (context gone is unreachable)\nstderr: %s", r.code, r.stderr)
		}
		var got []fleet.Row
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("decode: %v\n%s", err, r.stdout)
		}
		if len(got) == 0 || got[0].Cluster != "gone" || !strings.Contains(got[0].Error, "connection refused") {
			t.Fatalf("first row %+v: want context gone's error (connection refused)", got)
		}
		got = got[1:]
		want := append(prodEURows(), prodUSRows()...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rows:\n%s\nwant:\n%s", rowLines(got), rowLines(want))
		}
		if !strings.Contains(r.stderr, "cluster gone: ") {
			t.Errorf("stderr names no unreachable cluster:\n%s", r.stderr)
		}
	})
	t.Run("table and summaries", func(t *testing.T) {
		r := runCLI(t, bin, append(args, "--context", "prod-eu", "--context", "prod-us")...)
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstderr: %s", r.code, r.stderr)
		}
		for _, line := range []string{
			"prod-eu: 10 references, 4 still pull direct from 2 registries, 1 unrouted public",
			"prod-us: 2 references, 1 still pull direct from 1 registry, 0 unrouted public",
		} {
			if !strings.Contains(r.stdout, line+"\n") {
				t.Errorf("no line %q in:\n%s", line, r.stdout)
			}
		}
	})
	t.Run("read-only RBAC", func(t *testing.T) {
		reportRBAC(t, bin, us)
	})
	t.Run("fail-on gate", func(t *testing.T) {
		for name, tc := range map[string]struct {
			args []string
			code int
		}{
			"unrouted public in prod-eu":    {[]string{"--context", "prod-eu", "--fail-on", "unrouted-public"}, 1},
			"none unrouted in prod-us":      {[]string{"--context", "prod-us", "--fail-on", "unrouted-public"}, 0},
			"direct pulls in one namespace": {[]string{"--context", "prod-us", "-n", "web", "--fail-on", "rewritten,unrouted-public"}, 1},
			"not an outcome":                {[]string{"--context", "prod-us", "--fail-on", "direct"}, 2},
			"no such context":               {[]string{"--context", "prod-ap"}, 2},
		} {
			if r := runCLI(t, bin, append(args, tc.args...)...); r.code != tc.code {
				t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, r.code, tc.code, r.stdout, r.stderr)
			}
		}
	})
}

// fleetKubeconfig writes one kubeconfig with a context per cluster, named by
// the map's keys, and a context unreachable whose server nothing listens on.
func fleetKubeconfig(t *testing.T, clusters map[string]*cluster.Cluster, unreachable string) string {
	t.Helper()
	merged := clientcmdapi.NewConfig()
	for name, c := range clusters {
		kc, err := clientcmd.LoadFromFile(c.KubeconfigPath())
		if err != nil {
			t.Fatal(err)
		}
		current := kc.Contexts[kc.CurrentContext]
		merged.Clusters[name] = kc.Clusters[current.Cluster]
		merged.AuthInfos[name] = kc.AuthInfos[current.AuthInfo]
		merged.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
		if unreachable != "" {
			gone := *kc.Clusters[current.Cluster]
			gone.Server = fmt.Sprintf("https://127.0.0.1:%d", FreePort(t))
			merged.Clusters[unreachable] = &gone
			merged.AuthInfos[unreachable] = kc.AuthInfos[current.AuthInfo]
			merged.Contexts[unreachable] = &clientcmdapi.Context{Cluster: unreachable, AuthInfo: unreachable}
			unreachable = ""
		}
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*merged, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedProdEU creates prod-eu's pods: a Deployment's (through its
// ReplicaSet) admitted without the webhook, a migrated one, a CronJob's
// (through its Job) with an excluded image, a bare pod from an unrouted
// public registry, an opted-out pod and one in an excluded namespace.
func seedProdEU(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	cs := adminClient(t, c)
	for _, ns := range []string{"shop", "batch", "excluded"} {
		kit.Namespace(t, cs, ns, nil)
	}
	web := owned(t, cs, "shop", "Deployment", "web", "ReplicaSet", "web-5d9c")
	createOwnedPod(t, cs, "shop", "web-5d9c-a", web, nil, "init:setup=ghcr.io/acme/setup:2", "app=nginx:1.27")
	debugPod(t, cs, "shop", "web-5d9c-a", "debugger", "ghcr.io/acme/debug:1")
	api := owned(t, cs, "shop", "Deployment", "api", "ReplicaSet", "api-77f1")
	createOwnedPod(t, cs, "shop", "api-77f1-a", api, nil, "app=proxy.example.internal/ghcr/acme/api:3")
	job := owned(t, cs, "batch", "CronJob", "nightly", "Job", "nightly-2901")
	createOwnedPod(t, cs, "batch", "nightly-2901-x", job, nil, "app=busybox:1.37", "upload=docker.io/amazon/aws-cli:2")
	createOwnedPod(t, cs, "shop", "gpu-check", nil, nil, "cuda=nvcr.io/nvidia/cuda:12.4.1-base")
	createOwnedPod(t, cs, "shop", "debug", nil, map[string]string{wellknown.LabelSkip: "true"}, "shell=alpine:3.20")
	createOwnedPod(t, cs, "excluded", "legacy", nil, nil, "app=nginx:1.27", "internal=registry.corp.internal/tools/x:1")
}

// prodEURows is what the report says of seedProdEU's pods.
func prodEURows() []fleet.Row {
	row := func(ns, owner, pod, container, image, registry, outcome string) fleet.Row {
		return fleet.Row{Cluster: "prod-eu", Namespace: ns, Owner: owner, Pod: pod, Container: container, Image: image, Registry: registry, Outcome: rewrite.Outcome(outcome)}
	}
	return []fleet.Row{
		row("batch", "CronJob/nightly", "nightly-2901-x", "app", "busybox:1.37", "docker.io", "excluded-image"),
		row("batch", "CronJob/nightly", "nightly-2901-x", "upload", "docker.io/amazon/aws-cli:2", "docker.io", "rewritten"),
		row("excluded", "Pod/legacy", "legacy", "app", "nginx:1.27", "docker.io", "excluded-namespace"),
		row("excluded", "Pod/legacy", "legacy", "internal", "registry.corp.internal/tools/x:1", "registry.corp.internal", "excluded-namespace"),
		row("shop", "Deployment/api", "api-77f1-a", "app", "proxy.example.internal/ghcr/acme/api:3", "proxy.example.internal", "already-proxied"),
		row("shop", "Deployment/web", "web-5d9c-a", "init:setup", "ghcr.io/acme/setup:2", "ghcr.io", "rewritten"),
		row("shop", "Deployment/web", "web-5d9c-a", "app", "nginx:1.27", "docker.io", "rewritten"),
		row("shop", "Deployment/web", "web-5d9c-a", "ephemeral:debugger", "ghcr.io/acme/debug:1", "ghcr.io", "rewritten"),
		row("shop", "Pod/debug", "debug", "shell", "alpine:3.20", "docker.io", "opted-out"),
		row("shop", "Pod/gpu-check", "gpu-check", "cuda", "nvcr.io/nvidia/cuda:12.4.1-base", "nvcr.io", "unrouted-public"),
	}
}

// seedProdUS creates prod-us's pods: a DaemonSet's still on Docker Hub, and
// a StatefulSet's on an internal registry.
func seedProdUS(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	cs := adminClient(t, c)
	for _, ns := range []string{"web", "data"} {
		kit.Namespace(t, cs, ns, nil)
	}
	createOwnedPod(t, cs, "web", "edge-x7k2p", ownerRef("apps/v1", "DaemonSet", "edge", "1"), nil, "proxy=envoyproxy/envoy:v1.31")
	createOwnedPod(t, cs, "data", "pg-0", ownerRef("apps/v1", "StatefulSet", "pg", "2"), nil, "db=registry.corp.internal/pg:16")
}

// prodUSRows is what the report says of seedProdUS's pods.
func prodUSRows() []fleet.Row {
	return []fleet.Row{
		{Cluster: "prod-us", Namespace: "data", Owner: "StatefulSet/pg", Pod: "pg-0", Container: "db", Image: "registry.corp.internal/pg:16", Registry: "registry.corp.internal", Outcome: "no-rule"},
		{Cluster: "prod-us", Namespace: "web", Owner: "DaemonSet/edge", Pod: "edge-x7k2p", Container: "proxy", Image: "envoyproxy/envoy:v1.31", Registry: "docker.io", Outcome: "rewritten"},
	}
}

// adminClient is a typed admin client of c.
func adminClient(t *testing.T, c *cluster.Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// ownerRef is a controller reference to kind/name.
func ownerRef(apiVersion, kind, name, uid string) *metav1.OwnerReference {
	controller := true
	return &metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid), Controller: &controller}
}

// owned creates the object between a pod and its top controller, as the
// controllers would: a ReplicaSet a Deployment controls, or a Job a CronJob
// controls, and returns the controller reference its pods carry.
func owned(t *testing.T, cs kubernetes.Interface, ns, topKind, topName, kind, name string) *metav1.OwnerReference {
	t.Helper()
	meta := metav1.ObjectMeta{Name: name, Namespace: ns}
	labels := map[string]string{"app": name}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "app", Image: "registry.corp.internal/placeholder:1"}}},
	}
	var uid types.UID
	apiVersion := "apps/v1"
	switch kind {
	case "ReplicaSet":
		meta.OwnerReferences = []metav1.OwnerReference{*ownerRef(apiVersion, topKind, topName, "top-"+name)}
		template.Spec.RestartPolicy = corev1.RestartPolicyAlways
		rs, err := cs.AppsV1().ReplicaSets(ns).Create(t.Context(), &appsv1.ReplicaSet{ObjectMeta: meta,
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uid = rs.UID
	case "Job":
		apiVersion = "batch/v1"
		meta.OwnerReferences = []metav1.OwnerReference{*ownerRef(apiVersion, topKind, topName, "top-"+name)}
		job, err := cs.BatchV1().Jobs(ns).Create(t.Context(), &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: template}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uid = job.UID
	default:
		t.Fatalf("owned: kind %s", kind)
	}
	return ownerRef(apiVersion, kind, name, string(uid))
}

// createOwnedPod creates a pod controlled by owner (nil: a bare pod) with
// containers written NAME=IMAGE, "init:NAME=IMAGE" for an init container.
func createOwnedPod(t *testing.T, cs kubernetes.Interface, ns, name string, owner *metav1.OwnerReference, labels map[string]string, containers ...string) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}}
	if owner != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	for _, c := range containers {
		name, image, _ := strings.Cut(c, "=")
		if init, ok := strings.CutPrefix(name, "init:"); ok {
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: init, Image: image})
			continue
		}
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: name, Image: image})
	}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// debugPod adds an ephemeral container to a pod, as kubectl debug does.
func debugPod(t *testing.T, cs kubernetes.Interface, ns, pod, name, image string) {
	t.Helper()
	p, err := cs.CoreV1().Pods(ns).Get(t.Context(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image}})
	if _, err := cs.CoreV1().Pods(ns).UpdateEphemeralContainers(t.Context(), pod, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// rowLines writes rows one per line, for a failure message.
func rowLines(rows []fleet.Row) string {
	var b strings.Builder
	for _, r := range rows {
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// reportRBAC runs the report as a user bound to deploy/rbac's report
// ClusterRole (it lists every row) and as one bound to nothing (forbidden,
// reported, exit 1).
func reportRBAC(t *testing.T, bin string, c *cluster.Cluster) {
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyFile(t.Context(), k8s, "../deploy/rbac/report-clusterrole.yaml"); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "report"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pullthrough-report"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "reporter"}},
	}
	if err := k8s.Create(t.Context(), binding); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user string
		code int
	}{{"reporter", 0}, {"nobody", 1}} {
		u, err := c.NewUser(tc.user)
		if err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, bin, "report", "--config", "testdata/config-fleet.yaml", "--kubeconfig", u.KubeconfigPath, "-o", "json")
		if r.code != tc.code {
			t.Fatalf("%s: exit %d, want %d\nstderr: %s", tc.user, r.code, tc.code, r.stderr)
		}
		// A config with scoped mirrors also lists namespaces (their labels).
		if s := runCLI(t, bin, "report", "--config", "testdata/config-tenants.yaml", "--kubeconfig", u.KubeconfigPath, "-o", "json"); s.code != tc.code {
			t.Errorf("%s, scoped config: exit %d, want %d\nstderr: %s", tc.user, s.code, tc.code, s.stderr)
		}
		var got []fleet.Row
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%s: decode: %v\n%s", tc.user, err, r.stdout)
		}
		if tc.code != 0 {
			if len(got) != 1 || !strings.Contains(got[0].Error, "forbidden") {
				t.Errorf("%s: rows %+v, want one forbidden error", tc.user, got)
			}
			continue
		}
		want := prodUSRows()
		for i := range want {
			if len(got) > 0 {
				want[i].Cluster = got[0].Cluster
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: rows:\n%s\nwant:\n%s", tc.user, rowLines(got), rowLines(want))
		}
	}
}
