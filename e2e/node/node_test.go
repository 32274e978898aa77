package node

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/policy"
)

// TestNode runs every scenario on one node, one after another.
func TestNode(t *testing.T) {
	l := startLab(t)
	t.Run("enforce: every image through the proxy", l.enforce)
	t.Run("the incident: Docker Hub's pull limit", l.incident)
	t.Run("credentials: the pull secret checked and replicated", l.credentials)
	t.Run("pull outcomes: failed pulls counted and reported", l.pullOutcomes)
	t.Run("node fallback through the CRI", l.fallback)
	t.Run("served: a digest behind the ECR-like proxy", l.ecrDigest)
	t.Run("served: a deleted tag behind the Harbor-like proxy", l.harborDeleted)
	// Last: it kills the webhook.
	t.Run("fail-open seen", l.failOpen)
}

// enforce: a Deployment, a pod with an init container, a native sidecar (as
// Istio injects it, from Docker Hub) and an image volume, and a Calico-like
// DaemonSet from an authenticated proxy: all Running, every image named by its
// proxy, the final-state guard failing none of them, and not one request from
// the node to an upstream.
func (l *Lab) enforce(t *testing.T) {
	ctx, ns := t.Context(), "enforce"
	web, initImg, sidecar, app, models, calico := "docker.io/library/web:1", "docker.io/library/migrate:1",
		"docker.io/istio/proxyv2:1.22.0", "docker.io/library/app:1", "docker.io/library/models:1", "quay.io/calico/node:v3.28.0"
	must(t, l.Seed(ctx, web, initImg, sidecar, app, models, calico))
	l.namespace(t, ns, "", true)
	before := l.Counts()

	must(t, l.CreateDeployment(ctx, ns, "web", 2, PodSpec(Container("web", web))))
	always := corev1.ContainerRestartPolicyAlways
	pod := PodSpec(Container("app", app))
	pod.InitContainers = []corev1.Container{Container("migrate", initImg, "exit"), Container("istio-proxy", sidecar)}
	pod.InitContainers[1].RestartPolicy = &always
	pod.Volumes = []corev1.Volume{{Name: "models", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: models, PullPolicy: corev1.PullIfNotPresent}}}}
	pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "models", MountPath: "/models"}}
	must(t, l.CreatePod(ctx, ns, "app", pod))
	must(t, l.CreateDaemonSet(ctx, ns, "calico-node", PodSpec(Container("calico-node", calico))))

	pods, err := l.WaitRunning(ctx, ns, 4)
	must(t, err)
	for _, p := range pods {
		e2e.EachContainer(p, func(name, image, _ string) { l.wantProxied(t, p.Name+"/"+name, image) })
		for _, v := range p.Spec.Volumes {
			if v.Image != nil {
				l.wantProxied(t, p.Name+"/volume "+v.Name, v.Image.Reference)
			}
		}
	}
	l.wantGuarded(t, ns, pods, nil)
	if direct := l.Counts().Direct(before); len(direct) > 0 {
		t.Errorf("the node went to upstreams directly: %v", direct)
	}
	if refused := l.Set.WorldRefused(); len(refused) > 0 {
		t.Errorf("the node tried hosts outside the world: %v", refused)
	}
}

// wantProxied fails unless image names one of the proxies.
func (l *Lab) wantProxied(t *testing.T, what, image string) {
	t.Helper()
	for _, host := range Hosts {
		if strings.HasPrefix(image, l.Set.Proxy(host).Addr+"/") {
			return
		}
	}
	t.Errorf("%s: image %s is not on a proxy", what, image)
}

// incident reproduces the outage (RunIncident): without pullthrough the
// rollout on a fresh node runs into Docker Hub's 429 and ImagePullBackOff; with
// it every pod runs, the node sends Docker Hub nothing, and the proxy pulls
// each image at most once, under the limit.
func (l *Lab) incident(t *testing.T) {
	inc, err := l.RunIncident(t.Context(), "incident-without", "incident-with")
	must(t, err)
	if !slices.ContainsFunc(inc.Failures, func(m string) bool { return strings.Contains(m, "429 Too Many Requests") }) {
		t.Errorf("the failed pulls do not name Docker Hub's 429: %q", inc.Failures)
	}
	if inc.Refused == 0 {
		t.Error("the Docker Hub stand-in refused no pull from the node")
	}
	t.Logf("without pullthrough: %d pulls refused with 429; the kubelet said %q", inc.Refused, inc.Failures[0])
	if len(inc.DirectWith) > 0 {
		t.Errorf("with pullthrough the node still went to upstreams: %v", inc.DirectWith)
	}
	if inc.ProxyGETs > len(IncidentImages) || inc.ProxyRefused > 0 {
		t.Errorf("the proxy pulled %d manifests from Docker Hub for %d images (%d refused); want at most one each, none refused",
			inc.ProxyGETs, len(IncidentImages), inc.ProxyRefused)
	}
}

// credentials: the proxy of quay.io needs the pull secret pullthrough names.
// The pod whose namespace holds it is Running through the proxy. In a
// namespace without it, the webhook leaves the image as written (outcome
// no-pull-secret, counted) and the pod is Running, pulled from quay.io
// directly; pointed at the proxy anyway (an image its author wrote so), a pod
// there is refused: since Kubernetes 1.35 the kubelet verifies a pod's own
// credentials even for an image on the node (KEP-2535), pulls without any,
// and containerd reports the proxy's 401 as "authorization failed: no basic
// auth credentials". With the replicator's source in place, a new namespace
// holds the copy before its first pod, which is Running through the proxy;
// deleting the source deletes the copies and no Secret someone else wrote.
func (l *Lab) credentials(t *testing.T) {
	ctx, image := t.Context(), "quay.io/acme/billing:1"
	must(t, l.Seed(ctx, image))
	const with, without, replicated = "creds-with", "creds-without", "creds-replicated"
	l.namespace(t, with, "", true)
	must(t, l.CreatePod(ctx, with, "billing", PodSpec(Container("billing", image))))
	pods, err := l.WaitRunning(ctx, with, 1)
	must(t, err)
	l.wantProxied(t, with+"/billing", pods[0].Spec.Containers[0].Image)

	const series = `pullthrough_images_total{outcome="no-pull-secret",registry="quay.io"}`
	counted, err := l.Hook.Sample(ctx, series)
	must(t, err)
	l.namespace(t, without, "", false)
	before := l.Counts()
	must(t, l.CreatePod(ctx, without, "billing", PodSpec(Container("billing", image))))
	pods, err = l.WaitRunning(ctx, without, 1)
	must(t, err)
	if got := pods[0].Spec.Containers[0].Image; got != image {
		t.Errorf("without the secret the image is %s, want it as written", got)
	}
	// A HEAD is enough: the layers are on the node already, by digest.
	if len(l.Counts().Direct(before)[AuthHost]) == 0 {
		t.Errorf("without the secret the node did not ask %s directly", AuthHost)
	}
	if now, err := l.Hook.Sample(ctx, series); err != nil || now != counted+1 {
		t.Errorf("%s went from %v to %v (%v), want one more", series, counted, now, err)
	}

	proxied := l.Set.Proxy(AuthHost).Addr + "/acme/billing:1"
	must(t, l.CreatePod(ctx, without, "pinned", PodSpec(Container("billing", proxied))))
	messages, err := l.WaitPullFailure(ctx, without)
	must(t, err)
	if !slices.ContainsFunc(messages, func(m string) bool {
		return strings.Contains(m, "authorization failed: no basic auth credentials")
	}) {
		t.Errorf("the failed pull does not name the proxy's refusal: %q", messages)
	}
	t.Logf("pointed at the proxy without the secret, with the image on the node: %q", messages[0])
	must(t, l.CS.CoreV1().Namespaces().Delete(ctx, without, metav1.DeleteOptions{}))

	must(t, l.PutPullSecret(ctx, e2e.ReleaseNamespace))
	start := time.Now()
	l.namespace(t, replicated, "", false)
	must(t, wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := l.CS.CoreV1().Secrets(replicated).Get(ctx, PullSecret, metav1.GetOptions{})
		return err == nil, nil
	}))
	t.Logf("the replicator's copy in the new namespace %s after its creation", time.Since(start).Round(time.Millisecond))
	must(t, l.CreateDeployment(ctx, replicated, "billing", 1, PodSpec(Container("billing", image))))
	pods, err = l.WaitRunning(ctx, replicated, 1)
	must(t, err)
	l.wantProxied(t, replicated+"/billing", pods[0].Spec.Containers[0].Image)

	must(t, l.CS.CoreV1().Secrets(e2e.ReleaseNamespace).Delete(ctx, PullSecret, metav1.DeleteOptions{}))
	must(t, wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := l.CS.CoreV1().Secrets(replicated).Get(ctx, PullSecret, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	}))
	if _, err := l.CS.CoreV1().Secrets(with).Get(ctx, PullSecret, metav1.GetOptions{}); err != nil {
		t.Errorf("%s/%s, created by hand, is gone with the source: %v", with, PullSecret, err)
	}
}

// fallback: with the webhook out of the path (namespace mode off), pods pull
// through the proxy because of the node's host files, when containerd reads
// them; with a colon-separated config_path the CRI's transfer service ignores
// them and the pull goes to Docker Hub, which `nodeconfig --check` reports.
func (l *Lab) fallback(t *testing.T) {
	ctx, node, ns := t.Context(), l.Cluster.Node(), "fallback"
	l.namespace(t, ns, config.ModeOff, false)
	must(t, l.Nodeconfig("registry.k8s.io", "docker.io"))
	image, trapped := "docker.io/library/fallback:1", "docker.io/library/trapped:1"
	must(t, l.Seed(ctx, image, trapped))

	before := l.Counts()
	must(t, l.CreatePod(ctx, ns, "fallback", PodSpec(Container("app", image))))
	_, err := l.WaitRunning(ctx, ns, 1)
	must(t, err)
	after := l.Counts()
	if d := after.Direct(before); len(d) > 0 {
		t.Errorf("with the host files the node still went to upstreams: %v", d)
	}
	if after.ProxyGETs(before, "docker.io") == 0 {
		t.Error("the docker.io proxy fetched nothing: the pull did not go through it")
	}
	l.check(t, node.ContainerdConfig(), 0)

	// containerd's own default is such a list: /etc/containerd/certs.d:/etc/docker/certs.d.
	colon := node.HostsDir() + ":/etc/docker/certs.d"
	must(t, node.RestartContainerd(&colon))
	hosts := node.HostsDir()
	t.Cleanup(func() {
		if err := node.RestartContainerd(&hosts); err != nil {
			t.Error(err)
		}
	})
	l.check(t, node.ContainerdConfig(), 1)
	before = l.Counts()
	must(t, l.CreatePod(ctx, ns, "trapped", PodSpec(Container("app", trapped))))
	_, err = l.WaitRunning(ctx, ns, 2)
	must(t, err)
	if got := l.Counts().DirectGETs(before, "docker.io"); got == 0 {
		t.Errorf("with config_path %q the pull should have gone to Docker Hub; the node sent it no manifest GET", colon)
	}
}

// check runs `pullthrough nodeconfig --check` on containerd's configuration
// and wants exit code want.
func (l *Lab) check(t *testing.T, containerdConfig string, want int) {
	t.Helper()
	cmd := exec.Command(l.Bin, "nodeconfig", "--check", "--containerd-config", containerdConfig, "--out", l.Cluster.Node().HostsDir())
	out, err := cmd.CombinedOutput()
	if got := cmd.ProcessState.ExitCode(); got != want {
		t.Errorf("nodeconfig --check on %s: exit %d (%v), want %d\n%s", containerdConfig, got, err, want, out)
	}
}

// failOpen: the webhook SIGKILLed during a rollout; the pods still start (the
// webhook fails open), and the final-state guard (in the API server's audit
// log) and `pullthrough report` name every pod that pulls direct, and not the
// pod the webhook rewrote before it was killed.
func (l *Lab) failOpen(t *testing.T) {
	ctx, ns, image := t.Context(), "failopen", "docker.io/library/shop:1"
	must(t, l.Seed(ctx, image))
	l.namespace(t, ns, "", true)
	const before = "before-the-kill"
	must(t, l.CreatePod(ctx, ns, before, PodSpec(Container("shop", image))))
	l.Hook.Kill()
	must(t, l.CreateDeployment(ctx, ns, "shop", 3, PodSpec(Container("shop", image))))
	pods, err := l.WaitRunning(ctx, ns, 4)
	must(t, err)
	direct := map[string]string{}
	for _, p := range pods {
		got := p.Spec.Containers[0].Image
		switch {
		case p.Name == before:
			l.wantProxied(t, p.Name, got)
		case got != image:
			t.Errorf("pod %s admitted while the webhook was down has %s; want it unchanged", p.Name, got)
		default:
			direct[p.Name] = "shop: " + image
		}
	}
	if len(direct) != 3 {
		t.Errorf("%d pods of the rollout pull direct, want 3: %v", len(direct), direct)
	}
	l.wantGuarded(t, ns, pods, direct)

	out, err := exec.Command(l.Bin, "report", "--config", l.Config, "--kubeconfig", l.Cluster.KubeconfigPath(),
		"-n", ns, "-o", "json").Output()
	if err != nil {
		t.Fatalf("pullthrough report: %v", err)
	}
	var rows []struct{ Pod, Image, Outcome string }
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("report -o json: %v\n%s", err, out)
	}
	named := map[string]bool{}
	for _, r := range rows {
		if r.Outcome == "rewritten" && r.Image == image {
			named[r.Pod] = true
		}
	}
	for _, p := range pods {
		if _, pullsDirect := direct[p.Name]; named[p.Name] != pullsDirect {
			t.Errorf("report names pod %s as pulling direct: %t, want %t: %s", p.Name, named[p.Name], pullsDirect, out)
		}
	}
}

// wantGuarded fails unless the API server audit-logged the create of every pod
// of pods (in ns) with the final-state guard's failure when the pod is in
// direct, its message naming what direct holds for it ("container: image"),
// and with none otherwise.
func (l *Lab) wantGuarded(t *testing.T, ns string, pods []corev1.Pod, direct map[string]string) {
	t.Helper()
	guarded, err := l.Guarded(ns)
	must(t, err)
	for _, p := range pods {
		failures, logged := guarded[p.Name]
		want, pullsDirect := direct[p.Name]
		switch {
		case !logged:
			t.Errorf("pod %s: no create in the audit log", p.Name)
		case !pullsDirect && len(failures) > 0:
			t.Errorf("pod %s was rewritten, yet the guard failed it: %+v", p.Name, failures)
		case pullsDirect && !slices.ContainsFunc(failures, func(f cluster.ValidationFailure) bool {
			return f.Policy == policy.NameGuard && strings.Contains(f.Message, want) &&
				slices.Contains(f.ValidationActions, string(admissionregistrationv1.Audit))
		}):
			t.Errorf("pod %s pulls %s direct; the guard's audit-logged failures do not say so: %+v", p.Name, want, failures)
		}
	}
}
