package main

import (
	"context"
	"fmt"
	"io"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/policy"
	"github.com/pullthrough/pullthrough/webhook"
)

// policyFlags are the flags of `pullthrough policy`.
type policyFlags struct {
	config, guard, kubeconfig, ownerClusterRole string
	apply, watch, podImages, pullFailures       bool
	resync                                      time.Duration
	serving                                     servingFlags
	pullSecrets                                 pullSecretFlags
	zap                                         zap.Options
}

func parsePolicyFlags(args []string, stderr io.Writer) (*policyFlags, error) {
	fs := newFlagSet("policy", stderr)
	f := &policyFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML); with --watch, reloaded when it changes")
	fs.StringVar(&f.guard, "guard", string(policy.GuardOff), "final-state guard on enforce namespaces: off, warn (warn and audit-log pods whose images were not rewritten) or deny")
	fs.BoolVar(&f.apply, "apply", false, "server-side apply the policies to the API server (and delete those of an earlier config) instead of printing them")
	fs.BoolVar(&f.watch, "watch", false, "with --apply: keep running, apply again when the config changes and every --resync, serve metrics and health probes")
	fs.DurationVar(&f.resync, "resync", 10*time.Minute, "with --watch: apply this often even if nothing changed, repairing hand edits")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for --apply and --metrics-secure (default: in-cluster or $KUBECONFIG)")
	fs.StringVar(&f.ownerClusterRole, "owner-cluster-role", "", "with --apply: make this ClusterRole the owner of every policy, so that deleting it (uninstalling the chart) deletes them")
	fs.BoolVar(&f.podImages, "pod-images", false, "with --watch: watch the cluster's pods and serve pullthrough_pod_images, as the webhook's --pod-images")
	fs.BoolVar(&f.pullFailures, "pull-failures", false, "with --watch: watch the kubelet's Failed events of pods and serve pullthrough_pull_failures_total, as the webhook's --pull-failures")
	bindServingFlags(fs, &f.serving, "with --watch: ", "ready once the policies are applied")
	bindReplicatorFlags(fs, &f.pullSecrets)
	f.zap.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pullthrough policy --config FILE [--guard off|warn|deny] > policies.yaml\n"+
			"       pullthrough policy --config FILE --apply [--watch] [--owner-cluster-role NAME]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch g := policy.Guard(f.guard); {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments: %v", fs.Args())
	case g != policy.GuardOff && g != policy.GuardWarn && g != policy.GuardDeny:
		return nil, usagef("--guard: %q is not off, warn or deny", f.guard)
	case f.watch && !f.apply:
		return nil, usagef("--watch needs --apply")
	case f.resync <= 0:
		return nil, usagef("--resync: %s is not positive", f.resync)
	case f.pullSecrets.replicate != "" && !f.watch:
		return nil, usagef("--replicate-pull-secret needs --watch")
	}
	if err := f.pullSecrets.validate(); err != nil {
		return nil, err
	}
	if err := f.serving.resolve(); err != nil {
		return nil, err
	}
	return f, nil
}

// runPolicy prints or applies the admission policies that implement the
// config inside kube-apiserver. A config they cannot implement exactly is
// a configuration error (exit 2) that names the rule.
func runPolicy(args []string, stdout, stderr io.Writer) error {
	f, err := parsePolicyFlags(args, stderr)
	if err != nil {
		return err
	}
	opts := policy.Options{Guard: policy.Guard(f.guard)}
	if f.watch {
		return watchPolicy(f, opts, stderr)
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	set, err := policy.Generate(cfg, opts)
	if err != nil {
		return usagef("config %s: %w", f.config, err)
	}
	if !f.apply {
		out, err := set.YAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(out)
		return err
	}
	dyn, cs, err := policyClients(f.kubeconfig)
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	var owner *metav1.OwnerReference
	if f.ownerClusterRole != "" {
		if owner, err = clusterRoleOwner(cs, f.ownerClusterRole)(ctx); err != nil {
			return err
		}
	}
	done, err := policy.Apply(ctx, dyn, set, owner)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d objects, pruned %d\n", done.Applied, done.Pruned)
	return nil
}

// watchPolicy is the policy engine's long-running process (the chart's
// engine: policy): it keeps the policies equal to the mounted config. It is
// not on the admission path, so it runs one replica with no certificate.
func watchPolicy(f *policyFlags, opts policy.Options, stderr io.Writer) error {
	log := zap.New(zap.UseFlagOptions(&f.zap), zap.WriteTo(stderr))
	ctrl.SetLogger(log)
	// A config the policies cannot express is refused at start and on
	// reload, where the policies in force keep acting.
	check := func(cfg *config.Config) error {
		if _, err := policy.Generate(cfg, opts); err != nil {
			return fmt.Errorf("config %s: %w", f.config, err)
		}
		return nil
	}
	routing, loaded, err := webhook.LoadInitial(f.config)
	if err == nil {
		err = check(routing.Config)
	}
	if err != nil {
		return usageError{err}
	}
	dyn, cs, err := policyClients(f.kubeconfig)
	if err != nil {
		return err
	}
	state := webhook.NewState(routing)
	metrics, err := webhook.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	applyMetrics, err := policy.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	watcher := webhook.NewConfigWatcher(f.config, loaded, state, metrics, log.WithName("config"))
	watcher.Check = check
	applier := &policy.Applier{
		Client: dyn, Config: func() *config.Config { return state.Routing().Config }, Options: opts,
		Resync: f.resync, RetryAfter: 5 * time.Second, Metrics: applyMetrics, Log: log.WithName("policy"),
	}
	if f.ownerClusterRole != "" {
		applier.Owner = clusterRoleOwner(cs, f.ownerClusterRole)
	}
	ready := map[string]healthz.Checker{"applied": applier.Ready}
	runnables, err := pullSecrets(f.pullSecrets, f.kubeconfig, state, ready, log)
	if err != nil {
		return err
	}
	runnables = append(runnables, watcher, applier, probeServer(f.serving.probeAddr, ready))
	watchers, err := informers(cs, f.podImages, f.pullFailures, state, nil, log)
	if err != nil {
		return err
	}
	if runnables, err = withMetricsServer(append(runnables, watchers...), f.serving, f.kubeconfig); err != nil {
		return err
	}
	log.Info("starting", "version", version, "config", f.config, "guard", opts.Guard)
	return runAll(ctrl.SetupSignalHandler(), runnables)
}

// policyClients are the clients of --kubeconfig: dynamic for the policies,
// typed for the owner and the pod inventory.
func policyClients(kubeconfig string) (dynamic.Interface, kubernetes.Interface, error) {
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	return dyn, cs, nil
}

// clusterRoleOwner returns the owner reference of the named ClusterRole,
// read at each apply so that a re-created role is followed.
func clusterRoleOwner(cs kubernetes.Interface, name string) func(context.Context) (*metav1.OwnerReference, error) {
	return func(ctx context.Context) (*metav1.OwnerReference, error) {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("--owner-cluster-role: %w", err)
		}
		return &metav1.OwnerReference{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole", Name: cr.Name, UID: cr.UID}, nil
	}
}
