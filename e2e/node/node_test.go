package node

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/registry"
)

// TestNode runs every scenario on one node, one after another.
func TestNode(t *testing.T) {
	n := startNodeEnv(t)
	t.Run("enforce: every image through the proxy", n.enforce)
	t.Run("the incident: Docker Hub's pull limit", n.incident)
	t.Run("credentials: the proxy needs the pull secret", n.credentials)
	t.Run("node fallback through the CRI", n.fallback)
	// Last: it kills the webhook.
	t.Run("fail-open seen", n.failOpen)
}

// enforce: a Deployment, a pod with an init container, a native sidecar (as
// Istio injects it, from Docker Hub) and an image volume, and a Calico-like
// DaemonSet from an authenticated proxy: all Running, every image named by its
// proxy, and not one request from the node to an upstream.
func (n *nodeEnv) enforce(t *testing.T) {
	const ns = "enforce"
	web, initImg, sidecar, app, models, calico := "docker.io/library/web:1", "docker.io/library/migrate:1",
		"docker.io/istio/proxyv2:1.22.0", "docker.io/library/app:1", "docker.io/library/models:1", "quay.io/calico/node:v3.28.0"
	n.seed(t, web, initImg, sidecar, app, models, calico)
	n.namespace(t, ns, "", true)
	before := n.upstreamCounts()

	n.createDeployment(t, ns, "web", 2, container("web", web))
	always := corev1.ContainerRestartPolicyAlways
	pod := podSpec(container("app", app))
	pod.InitContainers = []corev1.Container{container("migrate", initImg, "exit"), container("istio-proxy", sidecar)}
	pod.InitContainers[1].RestartPolicy = &always
	pod.Volumes = []corev1.Volume{{Name: "models", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: models, PullPolicy: corev1.PullIfNotPresent}}}}
	pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "models", MountPath: "/models"}}
	n.createPod(t, ns, "app", pod)
	n.createDaemonSet(t, ns, "calico-node", podSpec(container("calico-node", calico)))

	pods := n.waitRunning(t, ns, 4)
	for _, p := range pods {
		e2e.EachContainer(p, func(name, image, _ string) { n.wantProxied(t, p.Name+"/"+name, image) })
		for _, v := range p.Spec.Volumes {
			if v.Image != nil {
				n.wantProxied(t, p.Name+"/volume "+v.Name, v.Image.Reference)
			}
		}
	}
	if direct := n.upstreamCounts().direct(before); len(direct) > 0 {
		t.Errorf("the node went to upstreams directly: %v", direct)
	}
	if refused := n.set.WorldRefused(); len(refused) > 0 {
		t.Errorf("the node tried hosts outside the world: %v", refused)
	}
}

// wantProxied fails unless image names one of the proxies.
func (n *nodeEnv) wantProxied(t *testing.T, what, image string) {
	t.Helper()
	for _, host := range hosts {
		if strings.HasPrefix(image, n.set.Proxy(host).Addr+"/") {
			return
		}
	}
	t.Errorf("%s: image %s is not on a proxy", what, image)
}

// incident reproduces the outage: a fleet's nodes share their NAT address, on
// which Docker Hub counts anonymous pulls (100 per 6 hours; here 6 per hour,
// 4 of them spent by the rest of the fleet). A Calico-like rollout with
// imagePullPolicy Always on a fresh node, without pullthrough (namespace
// mode off), runs into 429 and ImagePullBackOff; the same rollout with
// pullthrough is Running, and the upstream saw at most one pull per image.
func (n *nodeEnv) incident(t *testing.T) {
	images := []string{"docker.io/calico/cni:v3.28.0", "docker.io/calico/pod2daemon-flexvol:v3.28.0",
		"docker.io/calico/node:v3.28.0", "docker.io/calico/kube-controllers:v3.28.0"}
	n.seed(t, images...)
	hub := n.set.Upstream("docker.io")
	hub.SetPullLimit(registry.PullLimit{Pulls: 6, Window: time.Hour})
	t.Cleanup(func() { hub.SetPullLimit(registry.PullLimit{}) })
	hub.SpendPulls(registry.NodeAddr, 4)

	rollout := func(ns string) {
		ds := podSpec(container("calico-node", images[2]))
		ds.InitContainers = []corev1.Container{container("install-cni", images[0], "exit"), container("flexvol-driver", images[1], "exit")}
		n.createDaemonSet(t, ns, "calico-node", ds)
		n.createDeployment(t, ns, "calico-kube-controllers", 2, container("calico-kube-controllers", images[3]))
	}

	const direct, proxied = "incident-without", "incident-with"
	n.namespace(t, direct, config.ModeOff, false)
	rollout(direct)
	messages := n.waitPullFailure(t, direct)
	if !slices.ContainsFunc(messages, func(m string) bool { return strings.Contains(m, "429") }) {
		t.Errorf("the failed pulls do not name Docker Hub's 429: %q", messages)
	}
	if hub.Limited(registry.NodeAddr) == 0 {
		t.Error("the Docker Hub stand-in refused no pull from the node")
	}
	t.Logf("without pullthrough: %d pulls refused with 429; the kubelet said %q", hub.Limited(registry.NodeAddr), messages[0])
	n.deleteNamespace(t, direct)

	before := n.upstreamCounts()
	n.namespace(t, proxied, "", true)
	rollout(proxied)
	n.waitRunning(t, proxied, 3)
	after := n.upstreamCounts()
	if d := after.direct(before); len(d) > 0 {
		t.Errorf("with pullthrough the node still went to upstreams: %v", d)
	}
	if got := after.proxyGETs(before, "docker.io"); got > len(images) {
		t.Errorf("the proxy pulled %d manifests from Docker Hub for %d images; want at most one each", got, len(images))
	}
	if hub.Limited("127.0.0.1") > 0 {
		t.Errorf("the proxy was rate-limited %d times", hub.Limited("127.0.0.1"))
	}
}

// credentials pins what the kubelet does with the proxy's credentials: the pod
// whose namespace holds the pull secret pullthrough names is Running; a pod in a
// namespace without it, with the same image already on the node, is not let use
// the cached image (KEP-2535: the kubelet verifies a pod's credentials for images
// it pulled with credentials, even when the image is present): it pulls without
// credentials, the proxy answers 401, and containerd reports "authorization
// failed: no basic auth credentials" in the kubelet's Failed event.
func (n *nodeEnv) credentials(t *testing.T) {
	image := "quay.io/acme/billing:1"
	n.seed(t, image)
	const with, without = "creds-with", "creds-without"
	n.namespace(t, with, "", true)
	n.createPod(t, with, "billing", podSpec(container("billing", image)))
	n.waitRunning(t, with, 1)

	n.namespace(t, without, "", false)
	n.createPod(t, without, "billing", podSpec(container("billing", image)))
	messages := n.waitPullFailure(t, without)
	if !slices.ContainsFunc(messages, func(m string) bool {
		return strings.Contains(m, "authorization failed: no basic auth credentials")
	}) {
		t.Errorf("the failed pull does not name the proxy's refusal: %q", messages)
	}
	t.Logf("without the secret, with the image on the node: %q", messages[0])
	n.deleteNamespace(t, without)
}

// fallback: with the webhook out of the path (namespace mode off), pods pull
// through the proxy because of the node's host files, when containerd reads
// them; with a colon-separated config_path the CRI's transfer service ignores
// them and the pull goes to Docker Hub, which `nodeconfig --check` reports.
func (n *nodeEnv) fallback(t *testing.T) {
	node := n.cluster.Node()
	const ns = "fallback"
	n.namespace(t, ns, config.ModeOff, false)
	n.nodeconfig(t, "registry.k8s.io", "docker.io")
	image, trapped := "docker.io/library/fallback:1", "docker.io/library/trapped:1"
	n.seed(t, image, trapped)

	before := n.upstreamCounts()
	n.createPod(t, ns, "fallback", podSpec(container("app", image)))
	n.waitRunning(t, ns, 1)
	after := n.upstreamCounts()
	if d := after.direct(before); len(d) > 0 {
		t.Errorf("with the host files the node still went to upstreams: %v", d)
	}
	if after.proxyGETs(before, "docker.io") == 0 {
		t.Error("the docker.io proxy fetched nothing: the pull did not go through it")
	}
	n.check(t, node.ContainerdConfig(), 0)

	// containerd's own default is such a list: /etc/containerd/certs.d:/etc/docker/certs.d.
	colon := node.HostsDir() + ":/etc/docker/certs.d"
	if err := node.RestartContainerd(&colon); err != nil {
		t.Fatal(err)
	}
	hosts := node.HostsDir()
	t.Cleanup(func() {
		if err := node.RestartContainerd(&hosts); err != nil {
			t.Error(err)
		}
	})
	n.check(t, node.ContainerdConfig(), 1)
	before = n.upstreamCounts()
	n.createPod(t, ns, "trapped", podSpec(container("app", trapped)))
	n.waitRunning(t, ns, 2)
	if d := n.upstreamCounts().direct(before)["docker.io"]; d[registry.Request{Method: "GET", Kind: registry.KindManifest}] == 0 {
		t.Errorf("with config_path %q the pull should have gone to Docker Hub; the node sent it %v", colon, d)
	}
}

// check runs `pullthrough nodeconfig --check` on containerd's configuration
// and wants exit code want.
func (n *nodeEnv) check(t *testing.T, containerdConfig string, want int) {
	t.Helper()
	cmd := exec.Command(n.bin, "nodeconfig", "--check", "--containerd-config", containerdConfig, "--out", n.cluster.Node().HostsDir())
	out, err := cmd.CombinedOutput()
	if got := cmd.ProcessState.ExitCode(); got != want {
		t.Errorf("nodeconfig --check on %s: exit %d (%v), want %d\n%s", containerdConfig, got, err, want, out)
	}
}

// failOpen: the webhook SIGKILLed during a rollout; the pods still start (the
// webhook fails open), and `pullthrough report` names every pod that pulls direct.
func (n *nodeEnv) failOpen(t *testing.T) {
	const ns = "failopen"
	image := "docker.io/library/shop:1"
	n.seed(t, image)
	n.namespace(t, ns, "", true)
	n.hook.Kill()
	n.createDeployment(t, ns, "shop", 3, container("shop", image))
	pods := n.waitRunning(t, ns, 3)
	for _, p := range pods {
		if got := p.Spec.Containers[0].Image; got != image {
			t.Errorf("pod %s admitted while the webhook was down has %s; want it unchanged", p.Name, got)
		}
	}
	out, err := exec.Command(n.bin, "report", "--config", n.config, "--kubeconfig", n.cluster.KubeconfigPath(),
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
		if !named[p.Name] {
			t.Errorf("report does not name pod %s as pulling direct: %s", p.Name, out)
		}
	}
}

// container is a container of a runnable image (package e2e/registry's sleeper);
// args "exit" make it exit at once, as an init container.
func container(name, image string, args ...string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Args: args, ImagePullPolicy: corev1.PullAlways}
}

// podSpec is a host-network pod (the node has only loopback) that stops fast.
func podSpec(containers ...corev1.Container) corev1.PodSpec {
	grace := int64(1)
	return corev1.PodSpec{HostNetwork: true, TerminationGracePeriodSeconds: &grace, Containers: containers}
}

func (n *nodeEnv) createPod(t *testing.T, ns, name string, spec corev1.PodSpec) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	if _, err := n.cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func template(name string, spec corev1.PodSpec) (*metav1.LabelSelector, corev1.PodTemplateSpec) {
	labels := map[string]string{"app": name}
	return &metav1.LabelSelector{MatchLabels: labels}, corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func (n *nodeEnv) createDeployment(t *testing.T, ns, name string, replicas int32, c corev1.Container) {
	t.Helper()
	selector, tmpl := template(name, podSpec(c))
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: selector, Template: tmpl}}
	if _, err := n.cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (n *nodeEnv) createDaemonSet(t *testing.T, ns, name string, spec corev1.PodSpec) {
	t.Helper()
	selector, tmpl := template(name, spec)
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DaemonSetSpec{Selector: selector, Template: tmpl}}
	if _, err := n.cs.AppsV1().DaemonSets(ns).Create(t.Context(), ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deleteNamespace deletes ns and does not wait: its failing pods stop retrying.
func (n *nodeEnv) deleteNamespace(t *testing.T, ns string) {
	t.Helper()
	if err := n.cs.CoreV1().Namespaces().Delete(t.Context(), ns, metav1.DeleteOptions{}); err != nil {
		t.Error(err)
	}
}
