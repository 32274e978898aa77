// Command demo is `make demo`: pullthrough's main job on one machine. It
// starts a real control plane on loopback, creates workloads the way the
// incident left them, starts `pullthrough webhook`, creates more, shows
// every pod's images before and after with the webhook's metrics, then runs
// `pullthrough migrate` on what existed before and cleans up.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/node"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/wellknown"
)

const (
	binary = "bin/pullthrough"
	// configFile is the example config; the demo points its mirrors at real proxies.
	configFile = "examples/config.yaml"
)

// demoConfig is the config the demo's webhook and migrator read, written by startRegistries.
var demoConfig string

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
	step("done: the control plane and the webhook are stopped")
}

func step(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}

func run(ctx context.Context) (err error) {
	logs, err := os.CreateTemp("", "pullthrough-demo-*.log")
	if err != nil {
		return err
	}
	defer func() {
		_ = logs.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "the control plane's and the webhook's logs are in", logs.Name())
		} else if rmErr := os.Remove(logs.Name()); rmErr != nil {
			fmt.Fprintln(os.Stderr, "removing the demo's log:", rmErr)
		}
	}()
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pullthrough-demo-")
	if err != nil {
		return err
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, "removing the demo's directory:", err)
		}
	}()
	step("starting real registries on 127.0.0.1: an upstream per public registry, seeded with small images, and a TLS pull-through proxy in front of each (private CA, htpasswd on Docker Hub's)")
	set, digests, cfgPath, err := startRegistries(ctx, dir, logs)
	if err != nil {
		return err
	}
	defer func() {
		if err := set.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the registries:", err)
		}
	}()
	demoConfig = cfgPath
	for host, proxy := range set.Mirrors() {
		fmt.Printf("  %-16s -> %s\n", host, proxy)
	}
	fmt.Printf("upstream requests so far: %s\n", describe(set.Counts()))
	step("starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (logs: %s)", logs.Name())
	step("installing the chart's MutatingWebhookConfiguration, pointed at 127.0.0.1")
	began := time.Now()
	c, err := cluster.Start(cluster.Options{
		ControllerManager: true,
		WebhookConfigs:    []*admissionregistrationv1.MutatingWebhookConfiguration{shipped},
		Output:            logs,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	fmt.Printf("control plane ready in %s; kubeconfig: %s\n", time.Since(began).Round(time.Millisecond), c.KubeconfigPath())
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		return err
	}
	if _, err := c.CreateNodes(ctx, 2); err != nil {
		return err
	}

	step("creating examples/demo/1-before-webhook.yaml while pullthrough is not running (failurePolicy Ignore lets pods through unchanged)")
	if err := e2e.ApplyFile(ctx, k8s, "examples/demo/1-before-webhook.yaml"); err != nil {
		return err
	}
	if err := waitPods(ctx, k8s, "shop", 1); err != nil {
		return err
	}

	step("starting %s webhook --config %s", binary, demoConfig)
	hook, err := e2e.StartWebhook(ctx, binary, demoConfig, c, logs)
	if err != nil {
		return err
	}
	defer func() { _ = hook.Stop() }()
	metricsURL := hook.MetricsURL
	fmt.Printf("webhook ready (pid %d), called by the API server\n", hook.Pid())

	step("creating examples/demo/2-after-webhook.yaml: an Istio-injected pod, Calico's DaemonSet in kube-system, an audit namespace")
	if err := e2e.ApplyFile(ctx, k8s, "examples/demo/2-after-webhook.yaml"); err != nil {
		return err
	}
	for ns, n := range map[string]int{"mesh": 1, "kube-system": 2, "trial": 1} {
		if err := waitPods(ctx, k8s, ns, n); err != nil {
			return err
		}
	}
	step("every pod's images (ORIGINAL is from the %s annotation; audit pods show what would change)", wellknown.AnnotationOriginalImages)
	if err := printPods(ctx, k8s); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		return err
	}
	if err := createPullSecrets(ctx, cs, set); err != nil {
		return err
	}
	step("pulling every admitted pod's images through the proxies, as a kubelet would (with the pull secret the webhook added)")
	if err := pullAll(ctx, cs, set, digests); err != nil {
		return err
	}
	step("the incident's number: %d pods of one Deployment pull through pullthrough, then the same pulls go straight to the upstream", fleetSize)
	if err := incident(ctx, cs, set); err != nil {
		return err
	}
	step("pullthrough metrics from %s", metricsURL)
	if err := printMetrics(metricsURL); err != nil {
		return err
	}

	migrate := []string{"migrate", "--config", demoConfig, "--kubeconfig", c.KubeconfigPath(), "-n", "shop", "-n", "istio-system"}
	step("pullthrough migrate: the plan for what existed before the webhook")
	if err := runBinary(migrate...); err != nil {
		return err
	}
	step("pullthrough migrate --apply")
	if err := runBinary(append(migrate, "--apply")...); err != nil {
		return err
	}
	step("after the migration: the storefront rolls out from the proxy")
	if err := waitRolledOut(ctx, k8s, set.Proxy("docker.io").Addr); err != nil {
		return err
	}
	if err := printPods(ctx, k8s); err != nil {
		return err
	}
	return incidentOnNode(ctx, logs)
}

// incidentOnNode replays the incident on a real node (package e2e/node): the
// same Calico-like rollout without pullthrough and with it, side by side.
func incidentOnNode(ctx context.Context, logs io.Writer) error {
	step("the incident on a real node: the kubelet, containerd's CRI and runc pull from a Docker Hub stand-in that allows 6 pulls per hour per address, 4 of them spent by the rest of the fleet behind the same NAT")
	lab, err := node.StartLab(ctx, binary, logs)
	if err != nil {
		return err
	}
	defer func() {
		if err := lab.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the node lab:", err)
		}
	}()
	fmt.Printf("node %s Ready; webhook pid %d\n", lab.Cluster.Node().Name, lab.Hook.Pid())
	inc, err := lab.RunIncident(ctx, "calico-without", "calico-with")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tWITHOUT PULLTHROUGH (mode off)\tWITH PULLTHROUGH")
	fmt.Fprintf(tw, "pods\tImagePullBackOff\t%d Running\n", inc.Running)
	fmt.Fprintf(tw, "manifest GETs to Docker Hub from the node\t%d\t%d\n", inc.DirectGETs, inc.DirectWith["docker.io"][registry.Request{Method: "GET", Kind: registry.KindManifest}])
	fmt.Fprintf(tw, "manifest GETs to Docker Hub from the proxy\t-\t%d (%d images)\n", inc.ProxyGETs, len(node.IncidentImages))
	fmt.Fprintf(tw, "pulls refused with 429\t%d\t%d\n", inc.Refused, inc.ProxyRefused)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("the kubelet, without pullthrough: %s\n", inc.Failures[0])
	return nil
}

func runBinary(args ...string) error {
	fmt.Printf("$ pullthrough %s\n", strings.Join(args, " "))
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pullthrough %s: %w", args[0], err)
	}
	return nil
}

// poll checks cond every 200 ms for up to 90 s.
func poll(ctx context.Context, cond wait.ConditionWithContextFunc) error {
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, cond)
}

func waitPods(ctx context.Context, k8s client.Client, ns string, n int) error {
	return poll(ctx, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := k8s.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			return false, err
		}
		return len(pods.Items) >= n, nil
	})
}

// waitRolledOut waits until a storefront pod runs from the proxy: the
// Deployment's new ReplicaSet made it from the migrated template.
func waitRolledOut(ctx context.Context, k8s client.Client, hubProxy string) error {
	return poll(ctx, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := k8s.List(ctx, &pods, client.InNamespace("shop")); err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			if strings.HasPrefix(p.Spec.Containers[0].Image, hubProxy+"/") {
				return true, nil
			}
		}
		return false, nil
	})
}

func printPods(ctx context.Context, k8s client.Client) error {
	var pods corev1.PodList
	if err := k8s.List(ctx, &pods); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tPOD\tCONTAINER\tIMAGE\tORIGINAL")
	for _, p := range pods.Items {
		e2e.EachContainer(p, func(name, image, original string) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Namespace, p.Name, name, image, original)
		})
	}
	return tw.Flush()
}

func printMetrics(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "pullthrough_images_total") || strings.HasPrefix(line, "pullthrough_admission_requests_total") {
			fmt.Println(line)
		}
	}
	return nil
}
