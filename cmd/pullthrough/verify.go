package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	cs, err := clientset(kubeconfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	v, err := newVerifier(ctx, cfg, vf, cs, stderr)
	if err != nil {
		return err
	}
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing the pods of %s: %w", namespace, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "POD\tCONTAINER\tIMAGE\tTHROUGH-PROXY\tVERIFY")
	checked := map[string]resolve.Result{}
	var notServed, total int
	for _, pod := range pods.Items {
		for _, c := range podspec.Decide(rw, podspec.FromPodSpec(&pod.Spec)) {
			if c.Outcome != rewrite.OutcomeRewritten && c.Outcome != rewrite.OutcomeAlreadyProxied {
				_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t-\t%s\n", pod.Name, c.Label(), c.Old, c.Outcome)
				continue
			}
			res, ok := checked[c.Image]
			if !ok {
				res = v.Verify(ctx, namespace, c.Image)
				checked[c.Image] = res
			}
			total++
			if res.Status != resolve.StatusServed {
				notServed++
				_, _ = fmt.Fprintf(stderr, "verify: pod %s %s: %v\n", pod.Name, c.Label(), res.Err)
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", pod.Name, c.Label(), c.Old, c.Image, res.Status)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, _ = fmt.Fprintf(stderr, "verify: %s: %d of %d images through the proxy served (%d distinct)\n", namespace, total-notServed, total, len(checked))
	if notServed > 0 {
		return fmt.Errorf("%d of %d images are not served by the proxy; pods using them would not start in enforce", notServed, total)
	}
	return nil
}
