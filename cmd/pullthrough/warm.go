package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/internal/table"
	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/warm"
)

// warmFlags are the flags of `pullthrough warm`.
type warmFlags struct {
	config, kubeconfig, file, output string
	namespaces                       stringList
	allNamespaces                    bool
	timeout                          time.Duration
	verifyFlags                      verifyFlags
}

// runWarm is `pullthrough warm`: the digest references that pull through the
// proxy, in manifests (-f) or in the cluster's workloads and bare pods (-n,
// --all-namespaces), get the tag behind each pulled through the proxy, then
// their digest checked. The results go to stdout, a line per failure and the
// summary to stderr; a digest the proxy still does not serve exits 1.
func runWarm(args []string, stdout, stderr io.Writer) error {
	f, err := parseWarmFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	found, proxy, cs, err := warmFind(ctx, cfg, f, stderr)
	if err != nil {
		return err
	}
	targets, withoutDigest := warm.Select(found)
	results := warm.Run(ctx, proxy, targets)
	recordErr := f.verifyFlags.writeRecord(ctx, cs, warm.Verdicts(results, time.Now()))
	write := warm.WriteTable
	if f.output == "json" {
		write = warm.WriteJSON
	}
	if err := write(stdout, results); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	failed := warm.Failed(results)
	for _, r := range failed {
		_, _ = fmt.Fprintf(stderr, "warm: %s%s: %s\n", namespacePrefix(r.Namespace), table.Cell(r.Reference), r.Error)
	}
	_, _ = fmt.Fprintln(stderr, warm.Summary(results, withoutDigest))
	if len(failed) > 0 {
		names := make([]string, len(failed))
		for i, r := range failed {
			names[i] = namespacePrefix(r.Namespace) + r.Reference
		}
		return errors.Join(fmt.Errorf("%d of %d digest references are not served by the proxy: %s", len(failed), len(results), strings.Join(names, ", ")), recordErr)
	}
	return recordErr
}

// namespacePrefix is "NS/" before a reference found in a namespace.
func namespacePrefix(namespace string) string {
	if namespace == "" {
		return ""
	}
	return namespace + "/"
}

// warmFind finds the references that pull through the proxy, and the proxy
// with the credentials that pull them: -f reads manifests and needs no
// cluster (the proxy's login is --docker-config's, else none); -n and
// --all-namespaces list the cluster as the migrator does and read the
// config's imagePullSecrets in each namespace, as `pullthrough verify` does.
// The clientset is nil for -f without --verdict-record: nothing else needs one.
func warmFind(ctx context.Context, cfg *config.Config, f *warmFlags, stderr io.Writer) ([]warm.Found, warm.Proxy, kubernetes.Interface, error) {
	rw, err := rewrite.New(cfg.Rules())
	if err != nil {
		return nil, nil, nil, usageError{fmt.Errorf("%s: %w", f.config, err)}
	}
	if f.file != "" {
		in, err := readInput(f.file)
		if err != nil {
			return nil, nil, nil, usageError{fmt.Errorf("read manifests: %w", err)}
		}
		found, err := warm.FromManifests(in, f.file, rw)
		if err != nil {
			return nil, nil, nil, err
		}
		v, err := newVerifier(ctx, cfg, f.verifyFlags, nil, stderr)
		if err != nil {
			return nil, nil, nil, err
		}
		if f.verifyFlags.dockerConfig == "" && len(cfg.ImagePullSecrets) > 0 {
			_, _ = fmt.Fprintf(stderr, "warm: -f reads no cluster, so the config's imagePullSecrets (%s) are not read: the proxy is asked without a login (give --docker-config with the proxy's login if it needs one)\n", strings.Join(cfg.ImagePullSecrets, ", "))
		}
		v.secrets = nil
		var cs kubernetes.Interface
		if f.verifyFlags.record != "" {
			if _, cs, err = warmClients(f); err != nil {
				return nil, nil, nil, err
			}
		}
		return found, v, cs, nil
	}
	client, cs, err := warmClients(f)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := migrate.New(client, cfg, migrate.Options{Namespaces: f.namespaces, Kinds: warmKinds()})
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	var c warm.Collector
	if _, err := m.PlanEach(ctx, &c); err != nil {
		return nil, nil, nil, err
	}
	v, err := newVerifier(ctx, cfg, f.verifyFlags, cs, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	return c.Found, v, cs, nil
}

// warmClients are the cluster's clients from --kubeconfig.
func warmClients(f *warmFlags) (dynamic.Interface, kubernetes.Interface, error) {
	kube := process.Kubeconfig(f.kubeconfig)
	kube.Timeout = f.timeout
	client, err := kube.Dynamic()
	if err != nil {
		return nil, nil, err
	}
	cs, err := kube.Typed()
	if err != nil {
		return nil, nil, err
	}
	return client, cs, nil
}

// warmKinds are the kinds the migrator lists that carry a pod spec: its
// workloads and bare pods, not the config's ConfigMap and field targets,
// whose values may be registry prefixes rather than images.
func warmKinds() []string {
	var kinds []string
	for _, k := range podspec.Kinds {
		if k.Migrate != podspec.NotListed {
			kinds = append(kinds, k.Kind)
		}
	}
	return kinds
}

// readInput reads a file, or stdin for "-".
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

func parseWarmFlags(args []string, stderr io.Writer) (*warmFlags, error) {
	fs := newFlagSet("warm", stderr)
	f := &warmFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML), the webhook's: the routing and the proxy's pull secrets")
	fs.StringVar(&f.file, "f", "", "warm the digest references of the manifests in FILE (YAML or JSON stream; - for stdin), as rewrite -f reads them")
	fs.Var(&f.namespaces, "n", "warm the digest references of this namespace's workloads and bare pods, as migrate lists them; repeat for more")
	fs.BoolVar(&f.allNamespaces, "all-namespaces", false, "warm the digest references of every namespace's workloads and bare pods")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
	fs.StringVar(&f.output, "o", "table", "result format: table or json")
	fs.DurationVar(&f.timeout, "request-timeout", 30*time.Second, "give up on one API request after this long")
	f.verifyFlags.register(fs)
	fs.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: pullthrough warm --config FILE (-f FILE|- | -n NS [-n NS]... | --all-namespaces)\n"+
			"                        [--kubeconfig F] [-o table|json] [--docker-config F] [--ca-bundle F]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	scopes := 0
	for _, given := range []bool{f.file != "", len(f.namespaces) > 0, f.allNamespaces} {
		if given {
			scopes++
		}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments %q", fs.Args())
	case scopes != 1:
		return nil, usagef("give exactly one of -f FILE, -n NS or --all-namespaces")
	case f.output != "table" && f.output != "json":
		return nil, usagef("-o %q: want table or json", f.output)
	case f.timeout <= 0:
		return nil, usagef("--request-timeout %s: must be positive", f.timeout)
	}
	if f.verifyFlags.record != "" {
		if _, err := f.verifyFlags.recordAt(); err != nil {
			return nil, err
		}
	}
	return f, nil
}
