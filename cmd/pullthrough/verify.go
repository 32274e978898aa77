package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/internal/table"
	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// runVerify is `pullthrough verify -n NS`: the preflight before a namespace moves
// from audit to enforce. For every image the namespace's pods use, it checks the
// reference the webhook would write (or the pod already holds) against the proxy.
// Exit 0 when every one is served, 1 when one is not, 2 on usage or config errors.
func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stderr)
	var config, kubeconfig, namespace string
	var vf verifyFlags
	fs.StringVar(&config, "config", "", "config file (YAML), the webhook's")
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
	fs.StringVar(&namespace, "n", "", "namespace whose pods' images to check (required)")
	vf.register(fs)
	fs.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: pullthrough verify --config FILE -n NAMESPACE [--kubeconfig F] [--docker-config F] [--ca-bundle F]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments %q", fs.Args())
	case namespace == "":
		return usagef("-n is required")
	}
	cfg, err := loadConfig(config)
	if err != nil {
		return err
	}
	rw, err := cfg.Rewriter()
	if err != nil {
		return usageError{err}
	}
	cs, err := process.Kubeconfig(kubeconfig).Typed()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	v, err := newVerifier(ctx, cfg, vf, cs, stderr)
	if err != nil {
		return err
	}
	if rw, err = verifyRouting(ctx, cfg, rw, cs, namespace); err != nil {
		return err
	}
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing the pods of %s: %w", namespace, err)
	}
	return vf.withRecord(ctx, cs, v, func(v resolve.Verifier) error {
		return verifyPods(ctx, v, rw, namespace, pods.Items, stdout, stderr)
	})
}

// verifyRouting is rw as it routes in namespace ns (the scoped mirrors that
// select it), reading the namespace's labels only when a mirror has a
// namespaceSelector.
func verifyRouting(ctx context.Context, cfg *config.Config, rw *rewrite.Rewriter, cs kubernetes.Interface, ns string) (*rewrite.Rewriter, error) {
	if !cfg.Scoped() {
		return rw, nil
	}
	var labels map[string]string
	if cfg.SelectsByLabels() {
		n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading the labels of namespace %s: %w", ns, err)
		}
		labels = n.Labels
	}
	return rw.In(ns, namespaces.LabelsOf(ns, labels)), nil
}

// verifyPods checks the images of pods that pull through the proxy with
// resolve.Preflight and writes a line for every image: the verdict, or the
// outcome that keeps it off the proxy.
func verifyPods(ctx context.Context, v resolve.Verifier, rw *rewrite.Rewriter, namespace string, pods []corev1.Pod, stdout, stderr io.Writer) error {
	type line struct {
		pod    string
		change podspec.Change
	}
	var all []line
	var images []resolve.Image
	for _, pod := range pods {
		for _, c := range podspec.Decide(rw, podspec.FromPodSpec(&pod.Spec)) {
			all = append(all, line{pod.Name, c})
			if c.Outcome.ThroughProxy() {
				images = append(images, resolve.Image{Namespace: namespace, Reference: c.Image})
			}
		}
	}
	results := resolve.Preflight(ctx, v, images)
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "POD\tCONTAINER\tIMAGE\tTHROUGH-PROXY\tVERIFY")
	var notServed, digestsNotFound int
	for _, e := range all {
		c := e.change
		if !c.Outcome.ThroughProxy() {
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t-\t%s\n", table.Cell(e.pod), table.Cell(c.Label()), table.Cell(c.Old), c.Outcome)
			continue
		}
		res := results[resolve.Image{Namespace: namespace, Reference: c.Image}]
		if res.Status != resolve.StatusServed {
			notServed++
			if res.Status == resolve.StatusNotFound && strings.Contains(c.Image, "@") {
				digestsNotFound++
			}
			_, _ = fmt.Fprintf(stderr, "verify: pod %s %s: %v\n", table.Cell(e.pod), table.Cell(c.Label()), res.Err)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", table.Cell(e.pod), table.Cell(c.Label()), table.Cell(c.Old), table.Cell(c.Image), res.Status)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	total := len(images)
	_, _ = fmt.Fprintf(stderr, "verify: %s: %d of %d images through the proxy served (%d distinct)\n", namespace, total-notServed, total, len(results))
	if digestsNotFound > 0 {
		_, _ = fmt.Fprintf(stderr, "verify: %d digest references not found: %s\n", digestsNotFound, migrate.WarmHint)
	}
	if notServed > 0 {
		return fmt.Errorf("%d of %d images are not served by the proxy; pods using them would not start in enforce", notServed, total)
	}
	return nil
}
