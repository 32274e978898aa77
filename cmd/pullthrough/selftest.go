package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/selftest"
)

// selftestFlags are the flags of `pullthrough selftest`.
type selftestFlags struct {
	config, kubeconfig, name string
	namespaces               stringList
	timeout                  time.Duration
}

func parseSelftestFlags(args []string, stderr io.Writer) (*selftestFlags, error) {
	fs := newFlagSet("selftest", stderr)
	f := &selftestFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML), the webhook's: it says what the probe image must become")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig (default: in-cluster or $KUBECONFIG)")
	fs.StringVar(&f.name, "name", "pullthrough-selftest", "name of the dry-run probe Pod")
	fs.Var(&f.namespaces, "n", "namespace to probe, NS (routed to enforce) or NS=audit; repeatable (default: default)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: pullthrough selftest --config FILE [-n NS | -n NS=audit]... [--kubeconfig FILE]\n\n"+
			"Creates a Pod with a server-side dry run in each namespace and checks that the API server\n"+
			"returns it as the webhook should have made it. Needs create on pods there; persists nothing.\n\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected arguments: %v", fs.Args())
	}
	if len(f.namespaces) == 0 {
		f.namespaces = stringList{"default"}
	}
	return f, nil
}

// runSelftest is `pullthrough selftest`: one line per namespace on stdout;
// exit 1 when a probe was not rewritten as the config says.
func runSelftest(args []string, stdout, stderr io.Writer) error {
	f, err := parseSelftestFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	targets, err := selftest.ParseTargets(f.namespaces)
	if err != nil {
		return usageError{fmt.Errorf("-n: %w", err)}
	}
	rc, err := process.Kubeconfig(f.kubeconfig).Config()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	checks, err := selftest.Run(ctx, rc, cfg, f.name, targets)
	for _, c := range checks {
		status := "ok"
		if c.Err != nil {
			status = "FAIL"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s -> %s\t%s\n", status, c.Namespace, c.Probe, c.Got, c.Mode)
	}
	return err
}
