package process

import (
	"context"
	"io"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Process is one long-running verb: the pieces it runs, the registry they
// count in, the checks its /readyz waits for, and its logger.
type Process struct {
	// Log is the process's logger, also controller-runtime's.
	Log logr.Logger
	// Registry is where every piece registers its series: controller-runtime's,
	// which its metrics server serves (a test gathers a fresh one).
	Registry prometheus.Registerer
	// Kube is the kubeconfig of --kubeconfig, for whatever piece needs the
	// API server; no client is made until one asks.
	Kube *Kube
	// Ready are the checks of /readyz, filled in by the pieces (Probes).
	Ready map[string]healthz.Checker
	// Runnables are the pieces, started together by Run.
	Runnables []manager.Runnable
}

// New starts a process: its logger from the zap flags, writing to stderr
// (and set as controller-runtime's), controller-runtime's registry, and
// the kubeconfig of --kubeconfig.
func New(opts *zap.Options, stderr io.Writer, kubeconfig string) *Process {
	log := zap.New(zap.UseFlagOptions(opts), zap.WriteTo(stderr))
	ctrl.SetLogger(log)
	return &Process{Log: log, Registry: ctrlmetrics.Registry, Kube: Kubeconfig(kubeconfig), Ready: map[string]healthz.Checker{}}
}

// Add adds pieces to run.
func (p *Process) Add(r ...manager.Runnable) { p.Runnables = append(p.Runnables, r...) }

// Run runs every piece until ctx ends (the binary's: SIGTERM or SIGINT,
// ctrl.SetupSignalHandler) or one of them fails; each shuts down
// gracefully when its context ends.
func (p *Process) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range p.Runnables {
		g.Go(func() error { return r.Start(ctx) })
	}
	return g.Wait()
}
