package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/e2e/registry"
)

// The images the pull tests seed: an official Docker Hub image as a multi-arch index,
// a nested ghcr.io path, and one that workloads name by digest.
const (
	officialIndex = "nginx:1.27"
	nestedPath    = "ghcr.io/acme/tools/shipper:2"
	pinnedTag     = "quay.io/acme/web/app:1.0"
	excludedImage = "postgres:16"               // excluded by the config: never rewritten
	privateImage  = "registry.corp.example/a:1" // no mirror: never rewritten
)

var pullImages = []registry.Image{
	{Ref: officialIndex, Platforms: []string{"linux/amd64", "linux/arm64"}},
	{Ref: nestedPath},
	{Ref: pinnedTag},
	{Ref: "quay.io/calico/cni:v3.28.0"},
	{Ref: "quay.io/calico/node:v3.28.0"},
	{Ref: "nicolaka/netshoot:v0.13"},
	{Ref: istioImage},
	// For the load comparison: not pulled before it, so the proxies start cold.
	{Ref: "redis:7", Platforms: []string{"linux/amd64", "linux/arm64"}},
	{Ref: "ghcr.io/acme/api:3"},
	{Ref: "quay.io/acme/worker:5"},
}

// pullEnv is a control plane whose webhook maps docker.io, ghcr.io and quay.io to
// real pull-through proxies (bare host:port targets), with seeded upstreams.
type pullEnv struct {
	*env
	set     *registry.Set
	digests map[string]string // public reference -> upstream digest
	config  string            // the config file
}

func startPullEnv(t *testing.T) *pullEnv {
	t.Helper()
	set := registry.StartForTest(t, registry.Options{
		Hosts:     []string{"docker.io", "ghcr.io", "quay.io"},
		AuthHosts: []string{"docker.io"},
	})
	digests, err := set.Seed(t.Context(), pullImages...)
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, []byte(pullConfig(set)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &pullEnv{env: startEnvConfig(t, true, config), set: set, digests: digests, config: config}
}

// probeInterval is the proxy probe's: long enough that restarting a registry takes
// fewer than failureThreshold probes, short enough for the test.
const probeInterval = 2 * time.Second

// pullConfig maps each played registry to its proxy, excludes one image, names the
// pull secret that holds the proxies' login, and probes the Docker Hub proxy over
// TLS with the test CA.
func pullConfig(set *registry.Set) string {
	var b strings.Builder
	b.WriteString("mirrors:\n")
	for _, host := range []string{"docker.io", "ghcr.io", "quay.io"} {
		fmt.Fprintf(&b, "  - {source: %s, target: %q}\n", host, set.Mirrors()[host])
	}
	b.WriteString("exclude:\n  images: [docker.io/library/postgres]\n")
	b.WriteString("imagePullSecrets: [proxy-pull]\n")
	fmt.Fprintf(&b, "proxyHealth: {url: %q, caBundle: %q, interval: %s, failureThreshold: 3, successThreshold: 2}\n",
		"https://"+set.Proxy("docker.io").Addr+"/v2/", set.CAFile, probeInterval)
	return b.String()
}

// namespace creates a namespace holding the pull secret with the proxies' login.
func (p *pullEnv) namespace(t *testing.T, name string) {
	t.Helper()
	p.env.namespace(t, name, "")
	secret, err := p.set.PullSecret("proxy-pull")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.client(t, nil).CoreV1().Secrets(name).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPulls(t *testing.T) {
	p := startPullEnv(t)
	if _, err := p.cluster.CreateNodes(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	t.Run("every admitted image pulls through its proxy", func(t *testing.T) { pullsResolve(t, p) })
	t.Run("upstream load through the proxies vs direct", func(t *testing.T) { upstreamLoad(t, p) })
	t.Run("preflight: migrate --verify and verify -n", func(t *testing.T) { preflight(t, p) })
	t.Run("warm: the tags behind digest references", func(t *testing.T) { warmTags(t, p) })
	// Last: it stops and restarts the Docker Hub proxy.
	t.Run("proxy health over TLS with hysteresis", func(t *testing.T) { proxyHealth(t, p) })
}

// upstreamLoad runs 50 pods of three Deployments, pulls each one's image through the
// proxies and then directly, and compares the manifest GETs the upstreams received:
// the number Docker Hub's rate limit counts.
func upstreamLoad(t *testing.T, p *pullEnv) {
	p.namespace(t, "load")
	cs := p.client(t, nil)
	createDeployment(t, cs, "load", "cache", "redis:7", 20)
	createDeployment(t, cs, "load", "api", "ghcr.io/acme/api:3", 15)
	createDeployment(t, cs, "load", "worker", "quay.io/acme/worker:5", 15)
	pods := waitPodCount(t, cs, "load", 50)
	load, err := CompareLoad(t.Context(), cs, p.set, pods)
	if err != nil {
		t.Fatal(err)
	}
	through, direct := load.ManifestGETs()
	t.Logf("%d pods, %d pulls: upstream manifest GETs direct %d, through pullthrough %d; all requests direct %v, through %v",
		len(pods), load.Pulls, direct, through, load.Direct, load.Through)
	// Direct: every pull GETs its manifest (and the index's image manifest); through
	// the proxies each manifest is fetched once and then served from their cache.
	if load.Pulls != 50 || direct < 50 || through*10 > direct {
		t.Errorf("%d pulls: manifest GETs direct %d, through %d: want 50 pulls and through at most a tenth of direct", load.Pulls, direct, through)
	}
}

// pullsResolve admits a pod with an image in every container list plus an injected
// sidecar and an ephemeral container, a Deployment that pins its image by digest and
// a DaemonSet; then pulls every image of every pod through the proxy with the pod's
// pull secret and compares digests with the upstream's.
func pullsResolve(t *testing.T, p *pullEnv) {
	ctx := t.Context()
	p.namespace(t, "pulls")
	cs := p.client(t, nil)
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"sidecar.istio.io/inject": "true"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "install-cni", Image: "quay.io/calico/cni:v3.28.0"},
				{Name: "shipper", Image: nestedPath, RestartPolicy: &always},
			},
			Containers: []corev1.Container{
				{Name: "app", Image: officialIndex},
				{Name: "db", Image: excludedImage},
				{Name: "private", Image: privateImage},
			},
		},
	}
	if _, err := cs.CoreV1().Pods("pulls").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "nicolaka/netshoot:v0.13"},
		TargetContainerName:      "app",
	}}
	got, err := cs.CoreV1().Pods("pulls").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Spec.EphemeralContainers = pod.Spec.EphemeralContainers
	if _, err := cs.CoreV1().Pods("pulls").UpdateEphemeralContainers(ctx, "web", got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pinned := "quay.io/acme/web/app@" + p.digests[pinnedTag]
	createDeployment(t, cs, "pulls", "pinned", pinned, 2)
	createDaemonSet(t, cs, "pulls", "calico-node", "quay.io/calico/node:v3.28.0")
	pods := waitPodCount(t, cs, "pulls", 1+2+2)

	// What each container must resolve to: the upstream digest of what was written.
	want := map[string]string{
		"install-cni": p.digests["quay.io/calico/cni:v3.28.0"],
		"shipper":     p.digests[nestedPath],
		"app":         p.digests[officialIndex],
		"istio-proxy": p.digests[istioImage],
		"debugger":    p.digests["nicolaka/netshoot:v0.13"],
		"pinned":      p.digests[pinnedTag],
		"calico-node": p.digests["quay.io/calico/node:v3.28.0"],
	}
	pulled, err := PullPods(ctx, cs, p.set, pods)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range pulled {
		seen[r.Container] = true
		if r.Digest != want[r.Container] {
			t.Errorf("%s %s: %s resolved to %s, want the upstream's %s", r.Pod, r.Container, r.Image, r.Digest, want[r.Container])
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("container %s was not pulled through a proxy (images: %v)", name, podImages(pods))
		}
	}
	// The pod's five proxied images (db and private stay put), two pinned, two calico-node.
	if len(pulled) != 9 {
		t.Errorf("pulled %d images, want 9: %v", len(pulled), podImages(pods))
	}
	for _, pod := range pods {
		EachContainer(pod, func(name, image, _ string) {
			if (name == "db" && image != excludedImage) || (name == "private" && image != privateImage) {
				t.Errorf("%s: %s must stay untouched, got %s", pod.Name, name, image)
			}
		})
	}
	t.Logf("%d images of %d pods pulled through the proxies with the pods' pull secret; digests equal the upstreams'", len(pulled), len(pods))
}

// createDeployment creates a Deployment of replicas pods running image in a container named name.
func createDeployment(t *testing.T, cs kubernetes.Interface, ns, name, image string, replicas int32) {
	t.Helper()
	selector, template := workloadTemplate(name, image)
	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: selector, Template: template}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createDaemonSet creates a DaemonSet running image in a container named name.
func createDaemonSet(t *testing.T, cs kubernetes.Interface, ns, name, image string) {
	t.Helper()
	selector, template := workloadTemplate(name, image)
	if _, err := cs.AppsV1().DaemonSets(ns).Create(t.Context(), &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DaemonSetSpec{Selector: selector, Template: template}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func workloadTemplate(name, image string) (*metav1.LabelSelector, corev1.PodTemplateSpec) {
	labels := map[string]string{"app": name}
	return &metav1.LabelSelector{MatchLabels: labels}, corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}},
	}
}

// waitPodCount waits until ns has n pods and returns them.
func waitPodCount(t *testing.T, cs kubernetes.Interface, ns string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods = list.Items
		return len(pods) == n, nil
	})
	if err != nil {
		t.Fatalf("%s: %d pods, want %d: %v", ns, len(pods), n, err)
	}
	return pods
}

func podImages(pods []corev1.Pod) []string {
	var out []string
	for _, pod := range pods {
		EachContainer(pod, func(name, image, _ string) { out = append(out, pod.Name+"/"+name+"="+image) })
	}
	return out
}

// proxyHealth stops and restarts the real Docker Hub proxy under the probe: one
// failed probe changes nothing; a stop long enough goes down (pods admitted
// unchanged, outcome proxy-unhealthy); a restart comes back and rewriting resumes.
func proxyHealth(t *testing.T, p *pullEnv) {
	p.namespace(t, "health")
	cs := p.client(t, nil)
	hub := p.set.Proxy("docker.io")
	probes := func(result string) float64 { return p.metric(t, "pullthrough_proxy_probes_total", "result", result) }
	transitions := func(to string) float64 { return p.metric(t, "pullthrough_proxy_transitions_total", "to", to) }
	up := func() float64 { return p.metric(t, "pullthrough_proxy_up", "", "") }
	// until waits for cond, naming the probes' state if it never holds.
	until := func(what string, cond func() bool) {
		t.Helper()
		kit.Eventually(t, what, func(context.Context) error {
			if !cond() {
				return fmt.Errorf("probes: %v failed, %v succeeded; pullthrough_proxy_up %v", probes("failure"), probes("success"), up())
			}
			return nil
		})
	}
	until("a probe of the proxy", func() bool { return probes("success") > 0 })
	if up() != 1 {
		t.Fatalf("pullthrough_proxy_up = %v before any stop, want 1 (the probe trusts caBundle)", up())
	}

	// One failed probe, then the proxy is back before the threshold.
	failed := probes("failure")
	if err := hub.Stop(); err != nil {
		t.Fatal(err)
	}
	until("a failed probe while the proxy is stopped", func() bool { return probes("failure") > failed })
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	succeeded := probes("success")
	until("a successful probe after the restart", func() bool { return probes("success") > succeeded })
	if n := probes("failure") - failed; n >= 3 {
		t.Fatalf("%v probes failed during a restart (registry slow to start?); the single-failure case was not exercised", n)
	}
	if transitions("down") != 0 || up() != 1 {
		t.Fatalf("after %v failed probe(s): transitions to down %v, up %v; want 0 and 1", probes("failure")-failed, transitions("down"), up())
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "during"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: officialIndex}}}}

	// Down: three failed probes in a row.
	if err := hub.Stop(); err != nil {
		t.Fatal(err)
	}
	until("pullthrough_proxy_up to go to 0 with the proxy stopped", func() bool { return up() == 0 })
	unhealthy := p.metric(t, "pullthrough_images_total", "outcome", "proxy-unhealthy")
	got, err := cs.CoreV1().Pods("health").Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Containers[0].Image != officialIndex || p.metric(t, "pullthrough_images_total", "outcome", "proxy-unhealthy") != unhealthy+1 {
		t.Errorf("with the proxy down and failOpen: image %q (want %q unchanged), proxy-unhealthy count %v (want %v)",
			got.Spec.Containers[0].Image, officialIndex, p.metric(t, "pullthrough_images_total", "outcome", "proxy-unhealthy"), unhealthy+1)
	}

	// Up again: two successful probes in a row; rewriting resumes and the image pulls.
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	until("pullthrough_proxy_up to come back to 1 after the restart", func() bool { return up() == 1 })
	pod.Name = "after"
	if got, err = cs.CoreV1().Pods("health").Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pulled, err := PullPods(t.Context(), cs, p.set, []corev1.Pod{*got})
	if err != nil || len(pulled) != 1 || pulled[0].Digest != p.digests[officialIndex] {
		t.Fatalf("after recovery: pulled %+v, %v; want %s rewritten and resolving to %s", pulled, err, officialIndex, p.digests[officialIndex])
	}
	t.Logf("probe transitions observed: down %v, up %v; failed probes %v, successful %v",
		transitions("down"), transitions("up"), probes("failure"), probes("success"))
	if transitions("down") != 1 || transitions("up") != 1 {
		t.Errorf("transitions down %v, up %v; want 1 and 1", transitions("down"), transitions("up"))
	}
}
