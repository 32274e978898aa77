package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/wellknown"
)

// hosts are the public registries the node's world plays; the quay.io proxy
// requires a login, which only the pull secret pullthrough names carries.
var hosts = []string{"docker.io", "quay.io", "registry.k8s.io"}

// authHost is the registry whose proxy requires credentials.
const authHost = "quay.io"

// pullSecret is the secret the config names and the webhook adds to pods.
const pullSecret = "proxy-pull"

// podTimeout bounds the wait for pods to reach a phase or a pull failure.
const podTimeout = 3 * time.Minute

// nodeEnv is one control plane with a real node, the registries and their
// world, and `pullthrough webhook` as a process.
type nodeEnv struct {
	set     *registry.Set
	cluster *cluster.Cluster
	cs      kubernetes.Interface
	bin     string
	config  string // the webhook's config file
	hook    *e2e.Webhook
	logs    string // the webhook's output file
}

func startNodeEnv(t *testing.T) *nodeEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: runs a control plane and a node; skipped under -short")
	}
	set := registry.StartForTest(t, registry.Options{Hosts: hosts, AuthHosts: []string{authHost}, World: true})
	if _, err := set.Seed(t.Context(), registry.Image{Ref: cluster.DefaultSandboxImage, Runnable: true}); err != nil {
		t.Fatal(err)
	}
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster.StartForTest(t, cluster.Options{
		WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped},
		Node: &cluster.NodeOptions{Env: []string{
			"HTTPS_PROXY=" + set.WorldProxy(), // the internet, as the node sees it
			"SSL_CERT_FILE=" + set.CAFile,     // the world's and the proxies' CA
		}},
	})
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := &nodeEnv{set: set, cluster: c, cs: cs, bin: e2e.BuildBinary(t),
		config: filepath.Join(dir, "config.yaml"), logs: filepath.Join(dir, "webhook.log")}
	if err := os.WriteFile(n.config, []byte(n.webhookConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The sandbox image is pulled by containerd, never by the kubelet: no
	// webhook can rewrite it, only the node's host files. The node gets
	// pullthrough's file for registry.k8s.io, as the node agent writes it.
	n.nodeconfig(t, "registry.k8s.io")
	n.startWebhook(t)
	return n
}

// webhookConfig maps every played registry to its proxy and names the pull
// secret with the proxies' login.
func (n *nodeEnv) webhookConfig() string {
	var b strings.Builder
	b.WriteString("mirrors:\n")
	for _, host := range hosts {
		fmt.Fprintf(&b, "  - {source: %s, target: %q}\n", host, n.set.Proxy(host).Addr)
	}
	fmt.Fprintf(&b, "imagePullSecrets: [%s]\n", pullSecret)
	return b.String()
}

// nodeconfig writes `pullthrough nodeconfig`'s host files for sources into the
// node's hosts directory (containerd's config_path), as the node agent does.
func (n *nodeEnv) nodeconfig(t *testing.T, sources ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("mirrors:\n")
	for _, host := range sources {
		fmt.Fprintf(&b, "  - {source: %s, target: %q}\n", host, n.set.Proxy(host).Addr)
	}
	path := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(n.bin, "nodeconfig", "--config", path, "--out", n.cluster.Node().HostsDir()).CombinedOutput(); err != nil {
		t.Fatalf("pullthrough nodeconfig: %v\n%s", err, out)
	}
}

// startWebhook runs `pullthrough webhook` on the cluster's webhook address.
func (n *nodeEnv) startWebhook(t *testing.T) {
	t.Helper()
	logs, err := os.OpenFile(n.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logs.Close() })
	if n.hook, err = e2e.StartWebhook(t.Context(), n.bin, n.config, n.cluster, logs); err != nil {
		t.Fatal(err)
	}
	hook := n.hook
	t.Cleanup(func() {
		if err := hook.Stop(); err != nil {
			t.Errorf("stopping the webhook: %v", err)
		}
		if t.Failed() {
			out, _ := os.ReadFile(n.logs)
			t.Logf("pullthrough webhook output:\n%s", out)
		}
	})
}

// namespace creates a namespace in mode ("" for the default, enforce), with the
// pull secret holding the proxies' login when withSecret.
func (n *nodeEnv) namespace(t *testing.T, name string, mode config.Mode, withSecret bool) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if mode != "" {
		ns.Labels = map[string]string{wellknown.LabelMode: string(mode)}
	}
	if _, err := n.cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !withSecret {
		return
	}
	login, err := n.set.DockerConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: pullSecret},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: login},
	}
	if _, err := n.cs.CoreV1().Secrets(name).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// seed pushes runnable images for refs to their upstreams.
func (n *nodeEnv) seed(t *testing.T, refs ...string) {
	t.Helper()
	images := make([]registry.Image, len(refs))
	for i, ref := range refs {
		images[i] = registry.Image{Ref: ref, Runnable: true}
	}
	if _, err := n.set.Seed(t.Context(), images...); err != nil {
		t.Fatal(err)
	}
}

// nodeCounts snapshots, per played registry, what the node asked the upstream
// directly (through the world) and what the proxies asked it.
type upstreamCounts map[string][2]registry.Counts

func (n *nodeEnv) upstreamCounts() upstreamCounts {
	out := upstreamCounts{}
	for _, host := range hosts {
		up := n.set.Upstream(host)
		out[host] = [2]registry.Counts{up.CountsFrom(registry.NodeAddr), up.CountsFrom("127.0.0.1")}
	}
	return out
}

// direct returns, per registry, the requests the node sent the upstream since before.
func (c upstreamCounts) direct(before upstreamCounts) map[string]registry.Counts {
	out := map[string]registry.Counts{}
	for host, now := range c {
		if d := now[0].Sub(before[host][0]); len(d) > 0 {
			out[host] = d
		}
	}
	return out
}

// proxyGETs returns the manifest GETs the proxy of host sent its upstream since before.
func (c upstreamCounts) proxyGETs(before upstreamCounts, host string) int {
	return c[host][1].Sub(before[host][1])[registry.Request{Method: "GET", Kind: registry.KindManifest}]
}

// waitRunning waits until want pods in ns exist and each is Running with every
// container ready, and returns them.
func (n *nodeEnv) waitRunning(t *testing.T, ns string, want int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	last := "no pods"
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, podTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := n.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods = list.Items
		if len(pods) < want {
			last = fmt.Sprintf("%d of %d pods", len(pods), want)
			return false, nil
		}
		for _, p := range pods {
			if state := podState(p); state != "" {
				last = p.Name + ": " + state
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		n.logEvents(t, ns)
		t.Fatalf("%s: pods not Running within %s: %s", ns, podTimeout, last)
	}
	return pods
}

// podState is "" for a Running pod whose containers are all ready, else what is not.
func podState(p corev1.Pod) string {
	if p.Status.Phase != corev1.PodRunning {
		return string(p.Status.Phase) + waitingReasons(p)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			return "container " + cs.Name + " not ready" + waitingReasons(p)
		}
	}
	return ""
}

// waitingReasons lists the containers waiting and why (ErrImagePull...).
func waitingReasons(p corev1.Pod) string {
	var out string
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			if w := cs.State.Waiting; w != nil {
				out += fmt.Sprintf(" [%s: %s %s]", cs.Name, w.Reason, w.Message)
			}
		}
	}
	return out
}

// waitPullFailure waits until a pod in ns has a container in ErrImagePull or
// ImagePullBackOff, and returns the Failed-pull event messages of ns.
func (n *nodeEnv) waitPullFailure(t *testing.T, ns string) []string {
	t.Helper()
	var messages []string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, podTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := n.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		failing := false
		for _, p := range list.Items {
			failing = failing || strings.Contains(waitingReasons(p), "ImagePull")
		}
		if !failing {
			return false, nil
		}
		messages = n.failedPulls(t, ns)
		return len(messages) > 0, nil
	})
	if err != nil {
		n.logEvents(t, ns)
		t.Fatalf("%s: no pull failure within %s", ns, podTimeout)
	}
	return messages
}

// failedPulls returns the messages of the kubelet's Failed events in ns.
func (n *nodeEnv) failedPulls(t *testing.T, ns string) []string {
	t.Helper()
	events, err := n.cs.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events.Items {
		if e.Reason == "Failed" && strings.Contains(e.Message, "pull") {
			out = append(out, e.Message)
		}
	}
	return out
}

// logEvents logs ns's events, to explain a failure.
func (n *nodeEnv) logEvents(t *testing.T, ns string) {
	t.Helper()
	events, err := n.cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Logf("events of %s: %v", ns, err)
		return
	}
	for _, e := range events.Items {
		t.Logf("event %s/%s: %s %s", ns, e.InvolvedObject.Name, e.Reason, e.Message)
	}
}
