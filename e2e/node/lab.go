package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/e2e/registry"
)

// Hosts are the public registries the lab's world plays; the quay.io proxy
// requires a login, which only the pull secret pullthrough names carries;
// the ghcr.io proxy fails as an Amazon ECR cache does, the gcr.io proxy as
// Harbor's.
var Hosts = []string{"docker.io", "quay.io", "registry.k8s.io", ECRHost, HarborHost}

// AuthHost is the registry whose proxy requires credentials.
const AuthHost = "quay.io"

// ECRHost is the registry whose proxy plays Amazon ECR's cache
// (registry.ProxyECR): a digest is not found until its tag was pulled.
const ECRHost = "ghcr.io"

// HarborHost is the registry whose proxy plays Harbor's cache
// (registry.ProxyHarbor): a tag the upstream deleted is not found.
const HarborHost = "gcr.io"

// NotServedTTL is how long the lab's webhook keeps a not-served verdict
// (servedCheck.notServedTTL), short so that a scenario sees it expire.
const NotServedTTL = 2 * time.Second

// PullSecret is the secret the lab's config names and the webhook adds to pods.
const PullSecret = "proxy-pull"

// PodTimeout bounds the wait for pods to reach a phase or a pull failure.
const PodTimeout = 3 * time.Minute

// Lab is one control plane with a real node, the registries and their world,
// and `pullthrough webhook` as a process (checking the pull secret, and
// replicating it from e2e.ReleaseNamespace once a test puts it there): what
// the e2e/node tests and `make demo` run pods on.
type Lab struct {
	Set     *registry.Set
	Cluster *cluster.Cluster
	CS      kubernetes.Interface
	// Bin is the pullthrough binary; Config the webhook's config file.
	Bin, Config string
	Hook        *e2e.Webhook
	dir         string
	logs        io.Writer
}

// StartLab starts the registries (with the world), the cluster with its node
// and an audit log of pod creates, writes pullthrough's host file for
// registry.k8s.io on the node (the sandbox image is pulled by containerd, never
// by the kubelet: no webhook can rewrite it, only the node's host files),
// installs the final-state guard (Guarded reads what it caught) and starts the
// webhook. logs receives every process's output. On error nothing is left
// running.
func StartLab(ctx context.Context, bin string, logs io.Writer) (*Lab, error) {
	dir, err := os.MkdirTemp("", "pullthrough-lab-")
	if err != nil {
		return nil, err
	}
	l := &Lab{Bin: bin, Config: filepath.Join(dir, "config.yaml"), dir: dir, logs: logs}
	if err := l.start(ctx); err != nil {
		return nil, errors.Join(err, l.Stop())
	}
	return l, nil
}

func (l *Lab) start(ctx context.Context) error {
	var err error
	if l.Set, err = registry.Start(registry.Options{Hosts: Hosts, AuthHosts: []string{AuthHost}, World: true, Output: l.logs,
		Kinds: map[string]registry.ProxyKind{ECRHost: registry.ProxyECR, HarborHost: registry.ProxyHarbor}}); err != nil {
		return err
	}
	if _, err := l.Set.Seed(ctx, registry.Image{Ref: cluster.DefaultSandboxImage, Runnable: true}); err != nil {
		return err
	}
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		return err
	}
	l.Cluster, err = cluster.Start(cluster.Options{
		WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped},
		Node: &cluster.NodeOptions{Env: []string{
			"HTTPS_PROXY=" + l.Set.WorldProxy(), // the internet, as the node sees it
			"SSL_CERT_FILE=" + l.Set.CAFile,     // the world's and the proxies' CA
		}},
		Audit:  cluster.AuditPodCreates(),
		Output: l.logs,
	})
	if err != nil {
		return err
	}
	if l.CS, err = kubernetes.NewForConfig(l.Cluster.Config()); err != nil {
		return err
	}
	if err := l.writeConfig(); err != nil {
		return err
	}
	if err := l.Nodeconfig("registry.k8s.io"); err != nil {
		return err
	}
	// The release namespace holds the replicator's source once a test puts
	// it there; default holds the pull secret, as the webhook's readiness
	// probe (e2e.StartWebhook) creates its pods there.
	if err := l.Namespace(ctx, e2e.ReleaseNamespace, config.ModeOff, false); err != nil {
		return err
	}
	if err := l.PutPullSecret(ctx, metav1.NamespaceDefault); err != nil {
		return err
	}
	if err := l.installGuard(ctx); err != nil {
		return err
	}
	// --pull-failures: the kubelet's failed pulls, counted by the webhook.
	l.Hook, err = e2e.StartWebhook(ctx, l.Bin, l.Config, l.Cluster, l.logs,
		"--kubeconfig="+l.Cluster.KubeconfigPath(), "--pull-failures", "--check-pull-secrets",
		"--replicate-pull-secret="+PullSecret, "--pull-secret-namespace="+e2e.ReleaseNamespace)
	return err
}

// PutPullSecret creates the pull secret holding the proxies' login in ns; in
// e2e.ReleaseNamespace, it is the source the webhook's replicator copies.
func (l *Lab) PutPullSecret(ctx context.Context, ns string) error {
	secret, err := l.Set.PullSecret(PullSecret)
	if err != nil {
		return err
	}
	_, err = l.CS.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
	return err
}

// Stop stops the webhook, the cluster and the registries, and removes the files.
func (l *Lab) Stop() error {
	var errs []error
	if l.Hook != nil {
		errs = append(errs, l.Hook.Stop())
	}
	if l.Cluster != nil {
		errs = append(errs, l.Cluster.Stop())
	}
	if l.Set != nil {
		errs = append(errs, l.Set.Stop())
	}
	return errors.Join(append(errs, os.RemoveAll(l.dir))...)
}

// writeConfig writes the webhook's config: every host to its proxy, the
// pull secret, and the served check with the proxies' login and CA, as the
// chart mounts them.
func (l *Lab) writeConfig() error {
	login, err := l.Set.DockerConfigJSON()
	if err != nil {
		return err
	}
	dockerConfig := filepath.Join(l.dir, "proxy-login.json")
	if err := os.WriteFile(dockerConfig, login, 0o600); err != nil {
		return err
	}
	cfg := l.mirrorConfig(Hosts, true) + fmt.Sprintf("servedCheck: {dockerConfig: %q, caBundle: %q, notServedTTL: %s}\n",
		dockerConfig, l.Set.CAFile, NotServedTTL)
	return os.WriteFile(l.Config, []byte(cfg), 0o600)
}

// mirrorConfig maps sources to their proxies, naming the pull secret if asked.
func (l *Lab) mirrorConfig(sources []string, secret bool) string {
	var b strings.Builder
	b.WriteString("mirrors:\n")
	for _, host := range sources {
		fmt.Fprintf(&b, "  - {source: %s, target: %q}\n", host, l.Set.Proxy(host).Addr)
	}
	if secret {
		fmt.Fprintf(&b, "imagePullSecrets: [%s]\n", PullSecret)
	}
	return b.String()
}

// Nodeconfig writes `pullthrough nodeconfig`'s host files for sources into the
// node's hosts directory (containerd's config_path), as the node agent does.
func (l *Lab) Nodeconfig(sources ...string) error {
	path := filepath.Join(l.dir, "node.yaml")
	if err := os.WriteFile(path, []byte(l.mirrorConfig(sources, false)), 0o600); err != nil {
		return err
	}
	if out, err := exec.Command(l.Bin, "nodeconfig", "--config", path, "--out", l.Cluster.Node().HostsDir()).CombinedOutput(); err != nil {
		return fmt.Errorf("pullthrough nodeconfig: %w\n%s", err, out)
	}
	return nil
}

// Namespace creates a namespace in mode ("" for the default, enforce), with the
// pull secret holding the proxies' login when withSecret. It is left to the
// Lab's end, with the pods a scenario ran in it.
func (l *Lab) Namespace(ctx context.Context, name string, mode config.Mode, withSecret bool) error {
	if err := kit.CreateNamespace(ctx, l.CS, name, kit.ModeLabels(mode)); err != nil {
		return err
	}
	if !withSecret {
		return nil
	}
	return l.PutPullSecret(ctx, name)
}

// Seed pushes runnable images for refs to their upstreams.
func (l *Lab) Seed(ctx context.Context, refs ...string) error {
	images := make([]registry.Image, len(refs))
	for i, ref := range refs {
		images[i] = registry.Image{Ref: ref, Runnable: true}
	}
	_, err := l.Set.Seed(ctx, images...)
	return err
}

// UpstreamCounts snapshots, per played registry, what the node asked the
// upstream directly (through the world) and what the proxies asked it.
type UpstreamCounts map[string][2]registry.Counts

// Counts takes an UpstreamCounts snapshot.
func (l *Lab) Counts() UpstreamCounts {
	out := UpstreamCounts{}
	for _, host := range Hosts {
		up := l.Set.Upstream(host)
		out[host] = [2]registry.Counts{up.CountsFrom(registry.NodeAddr), up.CountsFrom("127.0.0.1")}
	}
	return out
}

// Direct returns, per registry, the requests the node sent the upstream since before.
func (c UpstreamCounts) Direct(before UpstreamCounts) map[string]registry.Counts {
	out := map[string]registry.Counts{}
	for host, now := range c {
		if d := now[0].Sub(before[host][0]); len(d) > 0 {
			out[host] = d
		}
	}
	return out
}

var manifestGET = registry.Request{Method: "GET", Kind: registry.KindManifest}

// DirectGETs returns the manifest GETs the node sent host's upstream since before.
func (c UpstreamCounts) DirectGETs(before UpstreamCounts, host string) int {
	return c[host][0].Sub(before[host][0])[manifestGET]
}

// ProxyGETs returns the manifest GETs the proxy of host sent its upstream since before.
func (c UpstreamCounts) ProxyGETs(before UpstreamCounts, host string) int {
	return c[host][1].Sub(before[host][1])[manifestGET]
}

// WaitRunning waits until want pods in ns exist and each is Running with every
// container ready, and returns them.
func (l *Lab) WaitRunning(ctx context.Context, ns string, want int) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	last := "no pods"
	err := wait.PollUntilContextTimeout(ctx, time.Second, PodTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := l.CS.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
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
		return pods, fmt.Errorf("%s: pods not Running within %s: %s; events: %s", ns, PodTimeout, last, l.events(ns))
	}
	return pods, nil
}

// podState is "" for a Running pod whose containers are all ready, else what is not.
func podState(p corev1.Pod) string {
	if p.Status.Phase != corev1.PodRunning {
		return string(p.Status.Phase) + WaitingReasons(p)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			return "container " + cs.Name + " not ready" + WaitingReasons(p)
		}
	}
	return ""
}

// WaitingReasons lists the containers waiting and why (ErrImagePull...).
func WaitingReasons(p corev1.Pod) string {
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

// WaitPullFailure waits until a pod in ns has a container in ErrImagePull or
// ImagePullBackOff, and returns the kubelet's failed-pull event messages in ns.
func (l *Lab) WaitPullFailure(ctx context.Context, ns string) ([]string, error) {
	var messages []string
	err := wait.PollUntilContextTimeout(ctx, time.Second, PodTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := l.CS.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		failing := false
		for _, p := range list.Items {
			failing = failing || strings.Contains(WaitingReasons(p), "ImagePull")
		}
		if !failing {
			return false, nil
		}
		messages, err = l.FailedPulls(ctx, ns)
		return len(messages) > 0, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: no pull failure within %s: %w; events: %s", ns, PodTimeout, err, l.events(ns))
	}
	return messages, nil
}

// FailedPulls returns the messages of the kubelet's Failed pull events in ns.
func (l *Lab) FailedPulls(ctx context.Context, ns string) ([]string, error) {
	events, err := l.CS.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range events.Items {
		if e.Reason == "Failed" && strings.Contains(e.Message, "pull") {
			out = append(out, e.Message)
		}
	}
	return out, nil
}

// events renders ns's events, to explain a failure.
func (l *Lab) events(ns string) string {
	events, err := l.CS.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range events.Items {
		fmt.Fprintf(&b, "\n  %s: %s %s", e.InvolvedObject.Name, e.Reason, e.Message)
	}
	return b.String()
}
