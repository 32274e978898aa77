package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/rewrite"
)

// demoImages are the images of examples/demo/*.yaml, seeded into the upstreams;
// nginx is a multi-arch index, like the real one.
var demoImages = []registry.Image{
	{Ref: "nginx:1.27", Platforms: []string{"linux/amd64", "linux/arm64"}},
	{Ref: "redis:7.2"},
	{Ref: "docker.io/istio/proxyv2:1.22.0"},
	{Ref: "ghcr.io/acme/reviews:2.1"},
	{Ref: "quay.io/calico/cni:v3.28.0"},
	{Ref: "quay.io/calico/node:v3.28.0"},
	{Ref: "registry.k8s.io/e2e-test-images/agnhost:2.52"},
}

// pullSecret is the Secret the demo config names and every namespace holds.
const pullSecret = "proxy-pull"

// fleetSize is how many pods pull the same image for the incident's number.
const fleetSize = 50

// startRegistries runs an upstream and a TLS pull-through proxy per public registry
// of the demo (htpasswd on Docker Hub's), seeds the upstreams, and writes the demo's
// config into dir: examples/config.yaml with each mirror pointed at its proxy, the
// pull secret, and a proxy probe trusting the proxies' private CA.
func startRegistries(ctx context.Context, dir string, logs io.Writer) (*registry.Set, map[string]string, string, error) {
	set, err := registry.Start(registry.Options{
		Hosts:     []string{"docker.io", "ghcr.io", "quay.io", "registry.k8s.io"},
		AuthHosts: []string{"docker.io"},
		Output:    logs,
	})
	if err != nil {
		return nil, nil, "", err
	}
	digests, err := set.Seed(ctx, demoImages...)
	if err == nil {
		var path string
		if path, err = writeDemoConfig(set, dir); err == nil {
			return set, digests, path, nil
		}
	}
	if stopErr := set.Stop(); stopErr != nil {
		fmt.Fprintln(os.Stderr, "stopping the registries:", stopErr)
	}
	return nil, nil, "", err
}

func writeDemoConfig(set *registry.Set, dir string) (string, error) {
	cfg, err := config.Load(configFile)
	if err != nil {
		return "", err
	}
	var mirrors []rewrite.Mirror
	for _, m := range cfg.Mirrors {
		if target, ok := set.Mirrors()[m.Source]; ok {
			mirrors = append(mirrors, rewrite.Mirror{Source: m.Source, Target: target})
		}
	}
	cfg.Mirrors = mirrors
	cfg.ImagePullSecrets = []string{pullSecret}
	cfg.ProxyHealth = &config.ProxyHealth{URL: "https://" + set.Proxy("docker.io").Addr + "/v2/", CABundle: set.CAFile}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encoding the demo config: %w", err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing the demo config: %w", err)
	}
	return path, nil
}

// createPullSecrets puts the proxies' login into every namespace, as an operator
// distributes the pull secret the config names.
func createPullSecrets(ctx context.Context, cs kubernetes.Interface, set *registry.Set) error {
	secret, err := set.PullSecret(pullSecret)
	if err != nil {
		return err
	}
	namespaces, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, ns := range namespaces.Items {
		if _, err := cs.CoreV1().Secrets(ns.Name).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("pull secret in %s: %w", ns.Name, err)
		}
	}
	return nil
}

// pullAll pulls every proxied image of every pod through its proxy and prints the
// digests next to the upstream's.
func pullAll(ctx context.Context, cs kubernetes.Interface, set *registry.Set, digests map[string]string) error {
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	before := set.Counts()
	pulled, err := e2e.PullPods(ctx, cs, set, pods.Items)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POD\tCONTAINER\tIMAGE\tDIGEST\tUPSTREAM'S")
	mismatches := 0
	for _, p := range pulled {
		verdict := "same"
		if digests[p.Original] != p.Digest {
			verdict, mismatches = "DIFFERENT: "+digests[p.Original], mismatches+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Pod, p.Container, p.Image, p.Digest, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("%d images pulled through the proxies; upstream requests for them: %s\n", len(pulled), describe(set.Counts().Sub(before)))
	if mismatches > 0 {
		return fmt.Errorf("%d pulled digests differ from the upstream's", mismatches)
	}
	return nil
}

// incident runs fleetSize pods of one Deployment, pulls their images through the
// proxies and then directly, and prints the manifest GETs each way.
func incident(ctx context.Context, cs kubernetes.Interface, set *registry.Set) error {
	replicas := int32(fleetSize)
	labels := map[string]string{"app": "fleet"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "fleet"}, Spec: appsv1.DeploymentSpec{
		Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "redis:7.2"}}}}}}
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return err
	}
	var pods []corev1.Pod
	if err := poll(ctx, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=fleet"})
		pods = list.Items
		return err == nil && len(pods) == fleetSize, err
	}); err != nil {
		return err
	}
	load, err := e2e.CompareLoad(ctx, cs, set, pods)
	if err != nil {
		return err
	}
	through, direct := load.ManifestGETs()
	fmt.Printf("%d pods, %d pulls of redis:7.2\n", len(pods), load.Pulls)
	fmt.Printf("  direct to the upstream:   %d manifest GETs (all requests: %s)\n", direct, describe(load.Direct))
	fmt.Printf("  through pullthrough:      %d manifest GETs (all requests: %s)\n", through, describe(load.Through))
	return nil
}

// describe prints counts as "GET manifest=2 HEAD manifest=3 ..." in a fixed order.
func describe(c registry.Counts) string {
	var out string
	for _, method := range []string{"GET", "HEAD"} {
		for _, kind := range []string{registry.KindManifest, registry.KindBlob, registry.KindOther} {
			if n := c[registry.Request{Method: method, Kind: kind}]; n > 0 {
				out += fmt.Sprintf("%s %s=%d ", method, kind, n)
			}
		}
	}
	if out == "" {
		return "none"
	}
	return out[:len(out)-1]
}
