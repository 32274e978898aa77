package main

import (
	"context"
	"fmt"
	"io"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/policy"
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
	kube := process.Kubeconfig(f.kubeconfig)
	dyn, err := kube.Dynamic()
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	var owner *metav1.OwnerReference
	if f.ownerClusterRole != "" {
		cs, err := kube.Typed()
		if err != nil {
			return err
		}
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
	p := process.New(&f.zap, stderr, f.kubeconfig)
	if err := policyProcess(p, f, opts); err != nil {
		return err
	}
	p.Log.Info("starting", "version", version, "config", f.config, "guard", opts.Guard)
	return p.Run(ctrl.SetupSignalHandler())
}

// policyProcess adds to p the pieces of `policy --apply --watch`: the live
// config, refused at start and on reload when the policies cannot express
// it (the policies in force keep acting), the Applier, the pull secrets'
// replicator, the opt-in informers and the listeners. Nothing of the
// webhook: neither its series nor a proxy client.
func policyProcess(p *process.Process, f *policyFlags, opts policy.Options) error {
	check := func(cfg *config.Config) error {
		if _, err := policy.Generate(cfg, opts); err != nil {
			return fmt.Errorf("config %s: %w", f.config, err)
		}
		return nil
	}
	live, err := liveconfig.Load(f.config)
	if err == nil {
		err = check(live.Config())
	}
	if err != nil {
		return usageError{err}
	}
	live.Follow(func(s *liveconfig.Snapshot) (func(), error) { return nil, check(s.Config) })
	dyn, err := p.Kube.Dynamic()
	if err != nil {
		return err
	}
	cs, err := p.Kube.Typed()
	if err != nil {
		return err
	}
	applyMetrics, err := policy.NewMetrics(p.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	if err := watchConfig(p, live); err != nil {
		return err
	}
	applier := &policy.Applier{
		Client: dyn, Config: live.Config, Options: opts,
		Resync: f.resync, RetryAfter: 5 * time.Second, Metrics: applyMetrics, Log: p.Log.WithName("policy"),
	}
	if f.ownerClusterRole != "" {
		applier.Owner = clusterRoleOwner(cs, f.ownerClusterRole)
	}
	p.Ready["applied"] = applier.Ready
	if _, err := pullSecrets(p, f.pullSecrets, live); err != nil {
		return err
	}
	p.Add(applier, process.Probes(f.serving.probeAddr, p.Ready))
	if err := informers(p, cs, f.podImages, f.pullFailures, live, nil); err != nil {
		return err
	}
	return p.ServeMetrics(f.serving.metricsAddr, f.serving.metricsSecure)
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
