package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/inventory"
	"github.com/pullthrough/pullthrough/pullfailures"
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
	log := zap.New(zap.UseFlagOptions(&f.zap), zap.WriteTo(stderr))
	ctrl.SetLogger(log)
	cfg, loaded, err := webhook.LoadInitial(f.config)
	if err != nil {
		return usageError{err}
	}
	if f.localHosts != "" {
		if _, err := certs.WriteSelfSigned(f.certDir, strings.Split(f.localHosts, ","), 365*24*time.Hour); err != nil {
			return usageError{fmt.Errorf("--local-cert-hosts: %w", err)}
		}
		log.Info("wrote a development certificate", "certDir", f.certDir, "hosts", f.localHosts)
	}
	state := webhook.NewState(cfg)
	// The served check reaches an ECR proxy with the pod's AWS credentials
	// (IRSA, Pod Identity), as the kubelet's credential provider does.
	state.UseKeychain(ecr.Keychain(context.Background(), stderr))
	metrics, err := webhook.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: f.serving.bindIP, Port: f.port, CertDir: f.certDir,
		TLSOpts: []func(*tls.Config){serverTLS(f.enableHTTP2)}})
	drain := &webhook.Drain{Delay: f.shutdownDelay}
	for path, h := range webhook.Handlers(state, metrics, f.limits) {
		server.Register(string(path), drain.Wrap(h))
	}
	ready := map[string]healthz.Checker{}
	runnables, err := pullSecrets(f.pullSecrets, f.kubeconfig, state, ready, log)
	if err != nil {
		return err
	}
	runnables = append(runnables,
		webhook.NewConfigWatcher(f.config, loaded, state, metrics, log.WithName("config")),
		&webhook.ProxyProber{State: state, Metrics: metrics, Log: log.WithName("proxy")},
		healthServer(f.serving.probeAddr, server, drain, ready),
	)
	if runnables, err = withWatchers(runnables, f, state, metrics, log); err != nil {
		return err
	}
	if cfg.Config.SelectsByLabels() {
		watch, err := namespaceWatch(f.kubeconfig)
		if err != nil {
			return err
		}
		state.SetNamespaceLabels(watch)
		runnables = append(runnables, watch)
	}
	if runnables, err = withMetricsServer(runnables, f.serving, f.kubeconfig); err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	log.Info("starting", "version", version, "config", f.config, "port", f.port, "certDir", f.certDir, "bindIP", f.serving.bindIP, "metricsSecure", f.serving.metricsSecure)
	if examples := exampleTargets(cfg.Config.Mirrors); len(examples) > 0 {
		log.Info("WARNING: mirror targets are documented example hosts, from which no pull can succeed; set mirrors[].target to your proxy before enforcing",
			"config", f.config, "targets", examples, "mode", cfg.Config.Mode)
	}
	serve := manager.RunnableFunc(func(ctx context.Context) error { return server.Start(drain.After(ctx)) })
	if f.secret == "" {
		return runAll(ctx, append(runnables, serve))
	}
	return runSelfSigned(ctx, *f, runnables, serve)
}

// withWatchers adds the opt-in informers (--pod-images, --pull-failures) and
// the verdict record's watcher (--verdict-record) to runnables, on a client of
// --kubeconfig made only when one is asked for.
func withWatchers(runnables []manager.Runnable, f *webhookFlags, state *webhook.State, metrics *webhook.Metrics, log logr.Logger) ([]manager.Runnable, error) {
	if !f.podImages && !f.pullFailures && f.verdictRecord == "" {
		return runnables, nil
	}
	cs, err := clientset(f.kubeconfig)
	if err != nil {
		return nil, err
	}
	if f.verdictRecord != "" {
		at, err := certs.ParseNamespacedName("verdict-record", f.verdictRecord)
		if err != nil {
			return nil, usageError{err}
		}
		w, err := verdicts.NewWatcher(cs, at.Namespace, at.Name, state, ctrlmetrics.Registry, log.WithName("verdicts"))
		if err != nil {
			return nil, err
		}
		runnables = append(runnables, w)
	}
	watchers, err := informers(cs, f.podImages, f.pullFailures, state, metrics, log)
	return append(runnables, watchers...), err
}

// informers builds the opt-in informers of the webhook and of `policy
// --watch` on cs: the pod-images gauge and the failed-pull counter. With
// prefill (the webhook's metrics; nil for the policy engine, which follows no
// verdicts), the pods the gauge sees fill the served check's verdicts ahead of
// time.
func informers(cs kubernetes.Interface, podImages, pullFailures bool, state *webhook.State, prefill *webhook.Metrics, log logr.Logger) ([]manager.Runnable, error) {
	var runnables []manager.Runnable
	if podImages {
		inv, err := inventory.New(cs, state, ctrlmetrics.Registry, log.WithName("inventory"))
		if err != nil {
			return nil, err
		}
		if prefill != nil {
			if err := inv.Prefill(state, prefill); err != nil {
				return nil, err
			}
		}
		runnables = append(runnables, inv)
	}
	if pullFailures {
		w, err := pullfailures.New(cs, state, ctrlmetrics.Registry, log.WithName("pull-failures"))
		if err != nil {
			return nil, err
		}
		runnables = append(runnables, w)
	}
	return runnables, nil
}

// runAll runs the pieces of a standalone webhook, which needs no API server,
// until ctx ends or one of them fails; each shuts down gracefully on ctx.
func runAll(ctx context.Context, runnables []manager.Runnable) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range runnables {
		g.Go(func() error { return r.Start(ctx) })
	}
	return g.Wait()
}

// runSelfSigned runs the same pieces under a manager that also keeps the
// self-signed certificate; the webhook server starts once its certificate
// is on disk, as controller-runtime's server cannot start without one.
func runSelfSigned(ctx context.Context, f webhookFlags, runnables []manager.Runnable, server manager.Runnable) error {
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
	restConfig, err := restConfig(f.kubeconfig)
	if err != nil {
		return usageError{err}
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
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
	runnables = append(runnables, manager.RunnableFunc(func(ctx context.Context) error {
		select {
		case <-ready:
			return server.Start(ctx)
		case <-ctx.Done():
			return nil
		}
	}))
	for _, r := range runnables {
		if err := mgr.Add(r); err != nil {
			return fmt.Errorf("add to manager: %w", err)
		}
	}
	return mgr.Start(ctx)
}

// namespaceWatch is the namespace informer of --kubeconfig (see
// restConfig) that a config with a namespaceSelector routes by.
func namespaceWatch(kubeconfig string) (*namespaces.Watch, error) {
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the config selects namespaces by label, which needs the API server: %w", err)
	}
	client, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return namespaces.NewWatch(client)
}

// clientset is the typed client of --kubeconfig (see restConfig); a
// kubeconfig that cannot be used is a usage error.
func clientset(kubeconfig string) (kubernetes.Interface, error) {
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	return cs, nil
}

// restConfig loads --kubeconfig, or in-cluster config / $KUBECONFIG.
func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return ctrl.GetConfig()
}

// healthServer serves /healthz (the process runs) and /readyz (the webhook
// server answers TLS and is not draining, and every check in ready passes),
// so the Service sends traffic only to a replica that can answer it, and
// stops as soon as one begins to shut down. It lives as long as the webhook
// server (drain's delay). The config is loaded before anything starts, so it
// needs no check of its own.
func healthServer(addr string, server ctrlwebhook.Server, drain *webhook.Drain, ready map[string]healthz.Checker) manager.Runnable {
	ready["webhook"], ready["draining"] = server.StartedChecker(), drain.Ready
	probes := probeServer(addr, ready)
	return manager.RunnableFunc(func(ctx context.Context) error { return probes.Start(drain.After(ctx)) })
}

// probeServer serves /healthz (the process runs) and /readyz (every check
// in ready passes) on addr until ctx ends.
func probeServer(addr string, ready map[string]healthz.Checker) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.Handle("/healthz", http.StripPrefix("/healthz", &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}))
		mux.Handle("/readyz", http.StripPrefix("/readyz", &healthz.Handler{Checks: ready}))
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				ctrl.Log.WithName("health").Error(err, "shutting down the health probes")
			}
		}()
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("health probes on %s: %w", addr, err)
		}
		return nil
	})
}
