package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/nodeconfig"
)

// nodeconfigFlags are the flags of `pullthrough nodeconfig`.
type nodeconfigFlags struct {
	config, out, print, kubeconfig  string
	containerdConfig, containerdVer string
	hostDir                         string
	serving                         servingFlags
	watch, cleanup, check           bool
	interval                        time.Duration
	zap                             zap.Options
}

func parseNodeconfigFlags(args []string, stderr io.Writer) (*nodeconfigFlags, error) {
	fs := newFlagSet("nodeconfig", stderr)
	f := &nodeconfigFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML)")
	fs.StringVar(&f.out, "out", "", "certs.d directory to write hosts.toml files into (containerd's config_path)")
	fs.StringVar(&f.print, "o", "", "- prints the files to stdout instead of writing them; bottlerocket prints Bottlerocket's settings.container-registry.mirrors (TOML)")
	fs.BoolVar(&f.watch, "watch", false, "keep --out in step with --config until terminated (the node agent)")
	fs.BoolVar(&f.cleanup, "cleanup", false, "remove every file pullthrough wrote in --out (with --watch: keep it that way)")
	fs.BoolVar(&f.check, "check", false, "exit 1, naming the reason, when the containerd of --containerd-config would not read the files in --out for the CRI's pulls (default --out: "+defaultHostsDir+")")
	fs.StringVar(&f.containerdConfig, "containerd-config", "", "containerd's configuration file (its imports are read too): with --check, the one to check; with --watch, checked at every step and reported (metric, log)")
	fs.StringVar(&f.containerdVer, "containerd-version", "", "the node's containerd version, e.g. 2.1.5: what it does with config_path depends on it (default: that of 2.2 and later)")
	fs.StringVar(&f.hostDir, "host-dir", "", "with --watch and --containerd-config: --out as the node sees it (the agent's hostPath), which config_path must name (default --out)")
	fs.DurationVar(&f.interval, "interval", 10*time.Second, "with --watch, how often the config is re-read and --out repaired")
	bindServingFlags(fs, &f.serving, "with --watch: ", "")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "with --metrics-secure: kubeconfig of the API server that reviews the scrapers' tokens (default: in-cluster or $KUBECONFIG)")
	f.zap.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pullthrough nodeconfig --config FILE (--out DIR [--watch] | -o - | -o bottlerocket)\n       pullthrough nodeconfig --cleanup --out DIR [--watch]\n       pullthrough nodeconfig --check --containerd-config FILE [--containerd-version V] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if f.check {
		return f, checkFlagsValid(f)
	}
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments: %v", fs.Args())
	case f.print != "" && f.print != "-" && f.print != outputBottlerocket:
		return nil, usagef("-o %s: want - (the host files on stdout) or %s; use --out DIR to write files", f.print, outputBottlerocket)
	case f.print != "" && (f.out != "" || f.watch || f.cleanup):
		return nil, usagef("-o %s prints once; it goes with neither --out, --watch nor --cleanup", f.print)
	case f.print == "" && f.out == "":
		return nil, usagef("--out DIR, -o - or -o %s is required", outputBottlerocket)
	case f.interval <= 0:
		return nil, usagef("--interval must be positive, not %s", f.interval)
	case !f.cleanup && f.config == "":
		return nil, usagef("--config is required")
	}
	if err := f.serving.resolve(); err != nil {
		return nil, err
	}
	return f, nil
}

// defaultHostsDir is where the chart's node agent writes (values.yaml
// nodeAgent.hostPath) and what --check takes when --out is not given.
const defaultHostsDir = "/etc/containerd/certs.d"

// checkFlagsValid holds --check to its own flags.
func checkFlagsValid(f *nodeconfigFlags) error {
	switch {
	case f.containerdConfig == "":
		return usagef("--check needs --containerd-config FILE")
	case f.watch || f.cleanup || f.print != "" || f.config != "":
		return usagef("--check goes with neither --config, --watch, --cleanup nor -o")
	}
	if f.out == "" {
		f.out = defaultHostsDir
	}
	return nil
}

// runCheck reports whether containerd's CRI reads the files in --out.
func runCheck(f *nodeconfigFlags, stdout io.Writer) error {
	version, err := containerdVersion(f)
	if err != nil {
		return err
	}
	cfg, err := nodeconfig.LoadContainerdConfig(f.containerdConfig)
	if err != nil {
		return err
	}
	if err := nodeconfig.CheckContainerd(cfg, version, f.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: containerd %d.%d with %s reads the host files in %s for the CRI's pulls\n",
		version.Major, version.Minor, strings.Join(cfg.Files, ", "), f.out)
	return nil
}

// containerdVersion is --containerd-version, or the newest behaviour.
func containerdVersion(f *nodeconfigFlags) (nodeconfig.ContainerdVersion, error) {
	if f.containerdVer == "" {
		return nodeconfig.NewestContainerd, nil
	}
	v, err := nodeconfig.ParseContainerdVersion(f.containerdVer)
	if err != nil {
		return v, usageError{err}
	}
	return v, nil
}

// runNodeconfig prints or writes containerd's host files once, or runs the
// node agent that keeps them in step.
func runNodeconfig(args []string, stdout, stderr io.Writer) error {
	f, err := parseNodeconfigFlags(args, stderr)
	if err != nil {
		return err
	}
	if f.check {
		return runCheck(f, stdout)
	}
	if f.watch {
		return runNodeAgent(f, stderr)
	}
	if f.cleanup {
		removed, err := nodeconfig.Cleanup(f.out)
		for _, p := range removed {
			fmt.Fprintf(stderr, "removed %s\n", p)
		}
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	if f.print == outputBottlerocket {
		settings, warnings, err := nodeconfig.Bottlerocket(cfg)
		if err != nil {
			return usageError{err}
		}
		printWarnings(stderr, warnings)
		_, err = stdout.Write(settings)
		return err
	}
	files, warnings, err := nodeconfig.Generate(cfg)
	if err != nil {
		return usageError{err}
	}
	printWarnings(stderr, warnings)
	if f.print == "-" {
		return nodeconfig.Print(stdout, files)
	}
	res, err := nodeconfig.Sync(f.out, files)
	for _, p := range res.Written {
		fmt.Fprintf(stderr, "wrote %s\n", p)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(stderr, "removed %s\n", p)
	}
	return err
}

// outputBottlerocket is the -o value that prints Bottlerocket's settings.
const outputBottlerocket = "bottlerocket"

// printWarnings shows what the nodes' files cannot express.
func printWarnings(stderr io.Writer, warnings []nodeconfig.Warning) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
}

// runNodeAgent runs the agent and its metrics until SIGTERM. The config is
// checked once before anything starts, so a typo fails the pod at once
// rather than only in its log.
func runNodeAgent(f *nodeconfigFlags, stderr io.Writer) error {
	p := process.New(&f.zap, stderr, f.kubeconfig)
	if !f.cleanup {
		if _, err := loadConfig(f.config); err != nil {
			return err
		}
	}
	node := os.Getenv("NODE_NAME")
	version, err := containerdVersion(f)
	if err != nil {
		return err
	}
	metrics, err := nodeconfig.NewMetrics(p.Registry, node, f.containerdConfig != "")
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	agent := &nodeconfig.Agent{ConfigPath: f.config, Dir: f.out, Cleanup: f.cleanup, Metrics: metrics, Log: p.Log.WithName("nodeconfig"),
		Containerd: f.containerdConfig, ContainerdVersion: version, HostDir: f.hostDir}
	p.Add(manager.RunnableFunc(func(ctx context.Context) error { return agent.Run(ctx, f.interval) }))
	if err := p.ServeMetrics(f.serving.metricsAddr, f.serving.metricsSecure); err != nil {
		return err
	}
	p.Log.Info("starting the node agent", "version", version, "config", f.config, "dir", f.out, "cleanup", f.cleanup, "node", node)
	return p.Run(ctrl.SetupSignalHandler())
}
