package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/pullthrough/pullthrough/fleet"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/rewrite"
)

// reportParallel is how many clusters are listed at once.
const reportParallel = 4

// reportFlags are the flags of `pullthrough report`.
type reportFlags struct {
	config, kubeconfig, output, failOn string
	contexts, namespaces               stringList
	allContexts                        bool
	timeout                            time.Duration
	failOutcomes                       []rewrite.Outcome
}

// runReport is `pullthrough report`: every image reference of the pods that
// exist, per cluster (kubeconfig context), judged as enforce would judge it.
// Exit 1 when a cluster could not be listed or, with --fail-on, when a row
// has one of the named outcomes; 2 on usage or config errors.
func runReport(args []string, stdout, stderr io.Writer) error {
	f, err := parseReportFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	rw, err := rewrite.New(cfg.Rules())
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", f.config, err)}
	}
	judge := fleet.Judge{Rewriter: rw, NamespaceExcluded: cfg.NamespaceExcluded, Scoped: cfg.Scoped()}
	kubeconfig, contexts, err := reportContexts(f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	perCluster := make([][]fleet.Row, len(contexts))
	var g errgroup.Group
	g.SetLimit(reportParallel)
	for i, name := range contexts {
		g.Go(func() error {
			rows, err := reportCluster(ctx, kubeconfig, name, f, judge)
			if err != nil {
				rows = []fleet.Row{{Cluster: name, Error: err.Error()}}
			}
			perCluster[i] = rows
			return nil
		})
	}
	_ = g.Wait() // reportCluster's errors become rows; no goroutine returns one
	rows := slices.Concat(perCluster...)
	fleet.Sort(rows, contexts)
	write := func() error { return fleet.WriteTable(stdout, rows, contexts) }
	if f.output == "json" {
		write = func() error { return fleet.WriteJSON(stdout, rows) }
	}
	if err := write(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var unreachable []string
	for _, r := range rows {
		if r.Error != "" {
			unreachable = append(unreachable, r.Cluster)
			_, _ = fmt.Fprintf(stderr, "pullthrough report: cluster %s: %s\n", r.Cluster, r.Error)
		}
	}
	if len(unreachable) > 0 {
		return fmt.Errorf("%d of %d clusters could not be listed: %s", len(unreachable), len(contexts), strings.Join(unreachable, ", "))
	}
	if failing := fleet.Failing(rows, f.failOutcomes); len(failing) > 0 {
		return fmt.Errorf("%d references have an outcome --fail-on names (%s)", len(failing), f.failOn)
	}
	return nil
}

// reportCluster lists one context's pods and judges them.
func reportCluster(ctx context.Context, kubeconfig *clientcmdapi.Config, name string, f *reportFlags, judge fleet.Judge) ([]fleet.Row, error) {
	kube := process.Context(kubeconfig, name)
	kube.Timeout = f.timeout
	cs, err := kube.Typed()
	if err != nil {
		return nil, err
	}
	md, err := kube.Metadata()
	if err != nil {
		return nil, err
	}
	return fleet.Collect(ctx, fleet.Cluster{Name: name, Pods: cs, Metadata: md}, f.namespaces, judge)
}

// reportContexts loads the kubeconfig and picks the contexts to report on:
// --context's, every one with --all-contexts, else the current one.
func reportContexts(f *reportFlags) (*clientcmdapi.Config, []string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	kubeconfig, err := rules.Load()
	if err != nil {
		return nil, nil, usagef("kubeconfig: %w", err)
	}
	switch {
	case f.allContexts:
		contexts := slices.Sorted(maps.Keys(kubeconfig.Contexts))
		if len(contexts) == 0 {
			return nil, nil, usagef("--all-contexts: the kubeconfig has no contexts")
		}
		return kubeconfig, contexts, nil
	case len(f.contexts) > 0:
		for _, name := range f.contexts {
			if kubeconfig.Contexts[name] == nil {
				return nil, nil, usagef("--context %q: no such context in the kubeconfig", name)
			}
		}
		return kubeconfig, slices.Compact(slices.Clone(f.contexts)), nil
	case kubeconfig.CurrentContext == "":
		return nil, nil, usagef("the kubeconfig has no current context: name one with --context, or use --all-contexts")
	}
	return kubeconfig, []string{kubeconfig.CurrentContext}, nil
}

func parseReportFlags(args []string, stderr io.Writer) (*reportFlags, error) {
	fs := newFlagSet("report", stderr)
	f := &reportFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML), the routing to judge by")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fs.Var(&f.contexts, "context", "kubeconfig context to report on; repeat for more (default: the current one)")
	fs.BoolVar(&f.allContexts, "all-contexts", false, "report on every context of the kubeconfig")
	fs.Var(&f.namespaces, "n", "namespace to report on; repeat for more (default: all)")
	fs.StringVar(&f.output, "o", "table", "report format: table or json")
	fs.StringVar(&f.failOn, "fail-on", "", "comma-separated outcomes, e.g. rewritten,unrouted-public: exit 1 when any reference has one")
	fs.DurationVar(&f.timeout, "request-timeout", 30*time.Second, "give up on one API request after this long (an unreachable cluster is reported, the others still listed)")
	fs.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: pullthrough report --config FILE [--kubeconfig F] [--context C]... [--all-contexts] [-n NS]...\n"+
			"                          [-o table|json] [--fail-on OUTCOME[,OUTCOME]] [--request-timeout D]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments %q", fs.Args())
	case f.allContexts && len(f.contexts) > 0:
		return nil, usagef("--context and --all-contexts exclude each other")
	case f.output != "table" && f.output != "json":
		return nil, usagef("-o %q: want table or json", f.output)
	case f.timeout <= 0:
		return nil, usagef("--request-timeout %s: must be positive", f.timeout)
	}
	if f.failOn != "" {
		for _, o := range strings.Split(f.failOn, ",") {
			if !slices.Contains(rewrite.Outcomes, rewrite.Outcome(o)) {
				return nil, usagef("--fail-on %q: %q is not an outcome (want one of %s)", f.failOn, o, outcomeList())
			}
			f.failOutcomes = append(f.failOutcomes, rewrite.Outcome(o))
		}
	}
	return f, nil
}

// outcomeList names every outcome, for a usage error.
func outcomeList() string {
	names := make([]string, len(rewrite.Outcomes))
	for i, o := range rewrite.Outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}
