package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/resolve/ecr"
	"github.com/pullthrough/pullthrough/verdicts"
	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// webhookFlags are the flags of `pullthrough webhook`.
type webhookFlags struct {
	config, certDir                string
	port                           int
	serving                        servingFlags
	enableHTTP2                    bool
	secret, service, webhookConfig string
	kubeconfig                     string
	localHosts                     string
	shutdownDelay                  time.Duration
	podImages, pullFailures        bool
	verdictRecord                  string
	pullSecrets                    pullSecretFlags
	limits                         webhook.Limits
	zap                            zap.Options
}

// parseWebhookFlags reads the flags; a missing --config is a usage error.
func parseWebhookFlags(args []string, stderr io.Writer) (*webhookFlags, error) {
	fs := newFlagSet("webhook", stderr)
	f := &webhookFlags{zap: zap.Options{Development: false}}
	fs.StringVar(&f.config, "config", "", "config file (YAML); reloaded when it changes")
	fs.StringVar(&f.certDir, certs.FlagCertDir, "/tmp/k8s-webhook-server/serving-certs", "directory holding tls.crt and tls.key (reloaded when they change)")
	fs.IntVar(&f.port, "port", 9443, "webhook HTTPS port (on --"+flagBindIP+" when set)")
	bindServingFlags(fs, &f.serving, "", "ready once the webhook server answers and until shutdown begins")
	// Off by default: serverTLS says why.
	fs.BoolVar(&f.enableHTTP2, "enable-http2", false, "serve HTTP/2 as well as HTTP/1.1 on the webhook port")
	fs.StringVar(&f.secret, certs.FlagSecret, "", "NS/NAME: keep a self-signed CA and serving certificate in this Secret (needs the API server)")
	fs.StringVar(&f.service, certs.FlagService, "", "NS/NAME of the webhook Service the certificate serves (with --"+certs.FlagSecret+")")
	fs.StringVar(&f.webhookConfig, certs.FlagWebhookConfig, "", "MutatingWebhookConfiguration whose caBundle to keep current (with --"+certs.FlagSecret+")")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for --"+certs.FlagSecret+", --pod-images, --pull-failures, --verdict-record and --metrics-secure (default: in-cluster or $KUBECONFIG)")
	fs.BoolVar(&f.podImages, "pod-images", false, "watch the cluster's pods (list/watch RBAC) and serve "+wellknown.MetricPodImages+": what the pods that exist still pull, by registry and outcome")
	fs.BoolVar(&f.pullFailures, "pull-failures", false, "watch the kubelet's Failed events of pods (events list/watch RBAC) and serve "+wellknown.MetricPullFailures+": the failed pulls of images pointed at the proxy, by registry and reason")
	fs.StringVar(&f.verdictRecord, "verdict-record", "", "NS/NAME of the shared verdict record (a ConfigMap that verify, migrate --verify and warm write): watch it (get, list and watch on that one name) and decide from its verdicts as from the served check's own")
	fs.BoolVar(&f.pullSecrets.check, "check-pull-secrets", false, "before pointing a pod at the proxy, check that its namespace holds every Secret of the config's imagePullSecrets, else leave its images as written (outcome no-pull-secret); watches the Secrets of those names in every namespace, metadata only (list/watch RBAC by resourceNames)")
	bindReplicatorFlags(fs, &f.pullSecrets)
	fs.StringVar(&f.localHosts, "local-cert-hosts", "", "development only: write a fresh CA (ca.crt) and serving certificate for these comma-separated hosts into --cert-dir before serving")
	fs.DurationVar(&f.shutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, report not ready and keep answering (closing each connection) this long before draining in-flight requests and exiting, so no request reaches a closed port during a rolling restart; keep it under terminationGracePeriodSeconds")
	bindLimitFlags(fs, &f.limits)
	f.zap.BindFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments: %v", fs.Args())
	case f.config == "":
		return nil, usagef("--config is required")
	}
	if err := f.pullSecrets.validate(); err != nil {
		return nil, err
	}
	if err := checkLimits(f.limits); err != nil {
		return nil, err
	}
	if err := f.serving.resolve(); err != nil {
		return nil, err
	}
	return f, nil
}

// bindLimitFlags binds the flags of webhook.Limits, defaulting to
// webhook.DefaultLimits (docs/operations.md sizes memory from them).
func bindLimitFlags(fs *flag.FlagSet, l *webhook.Limits) {
	d := webhook.DefaultLimits()
	fs.IntVar(&l.MaxPodImages, "max-pod-images", d.MaxPodImages, "a pod with more images is admitted unchanged, with one warning (the policy engine's figure)")
	fs.IntVar(&l.MaxWarnings, "max-warnings", d.MaxWarnings, "per-image warnings per answer; the rest are summed up in one more")
	fs.Int64Var(&l.MaxBytesInFlight, "max-request-bytes-in-flight", d.MaxBytesInFlight, "request bodies held at once, by Content-Length, before any is read; a request with no room within half of --read-timeout is refused with HTTP 429")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", d.ReadTimeout, "from a request's headers to the last byte of its body: a stalled body is dropped then")
	fs.DurationVar(&l.HandlerTimeout, "handler-timeout", d.HandlerTimeout, "from a request's headers to the last byte of its answer")
}

// checkLimits refuses a limit that is not positive, naming its flag.
func checkLimits(l webhook.Limits) error {
	for _, c := range []struct {
		flag string
		ok   bool
		val  any
	}{
		{"--max-pod-images", l.MaxPodImages > 0, l.MaxPodImages},
		{"--max-warnings", l.MaxWarnings > 0, l.MaxWarnings},
		{"--max-request-bytes-in-flight", l.MaxBytesInFlight > 0, l.MaxBytesInFlight},
		{"--read-timeout", l.ReadTimeout > 0, l.ReadTimeout},
		{"--handler-timeout", l.HandlerTimeout > 0, l.HandlerTimeout},
	} {
		if !c.ok {
			return usagef("%s: %v is not positive", c.flag, c.val)
		}
	}
	return nil
}

// runWebhook wires the config, the webhook server, the reload watcher, the
// proxy probe, metrics and health, and runs them until SIGTERM.
func runWebhook(args []string, _, stderr io.Writer) error {
	f, err := parseWebhookFlags(args, stderr)
	if err != nil {
		return err
	}
	p := process.New(&f.zap, stderr, f.kubeconfig)
	live, err := liveconfig.Load(f.config)
	if err != nil {
		return usageError{err}
	}
	state, err := webhook.NewState(live)
	if err != nil {
		return usageError{err}
	}
	if f.localHosts != "" {
		if _, err := certs.WriteSelfSigned(f.certDir, strings.Split(f.localHosts, ","), 365*24*time.Hour); err != nil {
			return usageError{fmt.Errorf("--local-cert-hosts: %w", err)}
		}
		p.Log.Info("wrote a development certificate", "certDir", f.certDir, "hosts", f.localHosts)
	}
	// The served check reaches an ECR proxy with the pod's AWS credentials
	// (IRSA, Pod Identity), as the kubelet's credential provider does.
	state.UseKeychain(ecr.Keychain(context.Background(), stderr))
	metrics, err := webhook.NewMetrics(p.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: f.serving.bindIP, Port: f.port, CertDir: f.certDir,
		TLSOpts: []func(*tls.Config){process.ServerTLS(f.enableHTTP2)}})
	drain := &webhook.Drain{Delay: f.shutdownDelay}
	for path, h := range webhook.Handlers(state, metrics, f.limits) {
		server.Register(string(path), drain.Wrap(h))
	}
	if err := webhookWatchers(p, f, live, state, metrics); err != nil {
		return err
	}
	p.Add(&webhook.ProxyProber{State: state, Metrics: metrics, Log: p.Log.WithName("proxy")},
		healthServer(f.serving.probeAddr, server, drain, p.Ready))
	if err := p.ServeMetrics(f.serving.metricsAddr, f.serving.metricsSecure); err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	p.Log.Info("starting", "version", version, "config", f.config, "port", f.port, "certDir", f.certDir, "bindIP", f.serving.bindIP, "metricsSecure", f.serving.metricsSecure)
	if examples := exampleTargets(live.Config().Mirrors); len(examples) > 0 {
		p.Log.Info("WARNING: mirror targets are documented example hosts, from which no pull can succeed; set mirrors[].target to your proxy before enforcing",
			"config", f.config, "targets", examples, "mode", live.Config().Mode)
	}
	serve := manager.RunnableFunc(func(ctx context.Context) error { return server.Start(drain.After(ctx)) })
	if f.secret == "" {
		p.Add(serve)
		return p.Run(ctx)
	}
	return runSelfSigned(ctx, *f, p, serve)
}

// webhookWatchers adds what follows the config and the cluster: the reload
// watcher, the pull secrets' index and replicator, the opt-in informers
// (--pod-images, --pull-failures), the verdict record's watcher
// (--verdict-record) and the namespace informer of a config that selects
// namespaces by label, on clients of --kubeconfig made only when one is
// asked for.
func webhookWatchers(p *process.Process, f *webhookFlags, live *liveconfig.Live, state *webhook.State, metrics *webhook.Metrics) error {
	if err := watchConfig(p, live); err != nil {
		return err
	}
	index, err := pullSecrets(p, f.pullSecrets, live)
	if err != nil {
		return err
	}
	if f.pullSecrets.check {
		state.CheckPullSecrets(index)
	}
	if live.Config().SelectsByLabels() {
		watch, err := namespaceWatch(p.Kube)
		if err != nil {
			return err
		}
		state.SetNamespaceLabels(watch)
		p.Add(watch)
	}
	if !f.podImages && !f.pullFailures && f.verdictRecord == "" {
		return nil
	}
	cs, err := p.Kube.Typed()
	if err != nil {
		return err
	}
	if f.verdictRecord != "" {
		at, err := certs.ParseNamespacedName("verdict-record", f.verdictRecord)
		if err != nil {
			return usageError{err}
		}
		w, err := verdicts.NewWatcher(cs, at.Namespace, at.Name, state, p.Registry, p.Log.WithName("verdicts"))
		if err != nil {
			return err
		}
		p.Add(w)
	}
	// The pods the gauge sees fill the served check's verdicts ahead of time.
	prefill := func(ctx context.Context, ref string) { state.Prefill(ctx, metrics, ref) }
	return informers(p, cs, f.podImages, f.pullFailures, live, prefill)
}

// runSelfSigned runs p's pieces under a manager that also keeps the
// self-signed certificate; the webhook server starts once its certificate
// is on disk, as controller-runtime's server cannot start without one.
func runSelfSigned(ctx context.Context, f webhookFlags, p *process.Process, server manager.Runnable) error {
	secret, err := certs.ParseNamespacedName(certs.FlagSecret, f.secret)
	if err != nil {
		return usageError{err}
	}
	service, err := certs.ParseNamespacedName(certs.FlagService, f.service)
	if err != nil {
		return usageError{err}
	}
	opts := certs.SelfSignedOptions{
		SecretNamespace: secret.Namespace, SecretName: secret.Name,
		ServiceNamespace: service.Namespace, ServiceName: service.Name,
		WebhookConfigName: f.webhookConfig, CertDir: f.certDir,
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}
	rc, err := p.Kube.Config()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(rc, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"}, // served by our own runnable
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	ready, err := certs.SetupSelfSigned(ctx, mgr, opts)
	if err != nil {
		return fmt.Errorf("self-signed certificates: %w", err)
	}
	p.Add(manager.RunnableFunc(func(ctx context.Context) error {
		select {
		case <-ready:
			return server.Start(ctx)
		case <-ctx.Done():
			return nil
		}
	}))
	for _, r := range p.Runnables {
		if err := mgr.Add(r); err != nil {
			return fmt.Errorf("add to manager: %w", err)
		}
	}
	return mgr.Start(ctx)
}

// healthServer serves /healthz (the process runs) and /readyz (the webhook
// server answers TLS and is not draining, and every check in ready passes),
// so the Service sends traffic only to a replica that can answer it, and
// stops as soon as one begins to shut down. It lives as long as the webhook
// server (drain's delay). The config is loaded before anything starts, so it
// needs no check of its own.
func healthServer(addr string, server ctrlwebhook.Server, drain *webhook.Drain, ready map[string]healthz.Checker) manager.Runnable {
	ready["webhook"], ready["draining"] = server.StartedChecker(), drain.Ready
	probes := process.Probes(addr, ready)
	return manager.RunnableFunc(func(ctx context.Context) error { return probes.Start(drain.After(ctx)) })
}
