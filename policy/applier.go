package policy

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Metrics count the applier's work, so that an alert sees policies that
// no longer follow the config.
type Metrics struct {
	applies *prometheus.CounterVec
	lastOK  prometheus.Gauge
}

// NewMetrics creates and registers the applier's metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		applies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricPolicyApplies,
			Help: "Applies of the admission policies to the API server, by result (success, error).",
		}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: wellknown.MetricPolicyLastApplyOK,
			Help: "1 if the last apply of the admission policies succeeded, 0 if the API server holds an older or partial set.",
		}),
	}
	for _, c := range []prometheus.Collector{m.applies, m.lastOK} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{"success", "error"} {
		m.applies.WithLabelValues(r)
	}
	return m, nil
}

// observe counts one apply.
func (m *Metrics) observe(err error) {
	result, ok := "success", 1.0
	if err != nil {
		result, ok = "error", 0
	}
	m.applies.WithLabelValues(result).Inc()
	m.lastOK.Set(ok)
}

// Applier keeps the API server's policies equal to the config in force:
// it applies them when the config changes, again every Resync (a hand edit
// or a deleted binding is repaired), and after a failure every RetryAfter.
// It is off the admission path: while it is down, the policies last
// applied keep rewriting.
type Applier struct {
	// Client reaches the API server.
	Client dynamic.Interface
	// Config returns the config in force; a new pointer means a new config.
	Config func() *config.Config
	// Options are Generate's options.
	Options Options
	// Owner, when set, returns the owner every object names (see Apply).
	Owner func(context.Context) (*metav1.OwnerReference, error)
	// Resync and RetryAfter space the applies when nothing changes.
	Resync, RetryAfter time.Duration
	// Metrics count the applies; Log reports them.
	Metrics *Metrics
	Log     logr.Logger
	// applied turns true at the first successful apply (Ready).
	applied atomic.Bool
}

// Ready is nil once the policies have been applied: a health check
// (controller-runtime's healthz.Checker) for the readiness probe.
func (a *Applier) Ready(*http.Request) error {
	if !a.applied.Load() {
		return errors.New("the policies are not applied yet")
	}
	return nil
}

// Start applies until ctx ends; it satisfies controller-runtime's Runnable.
func (a *Applier) Start(ctx context.Context) error {
	var applied *config.Config
	var next time.Time
	for {
		cfg := a.Config()
		if cfg != applied || !time.Now().Before(next) {
			if err := a.apply(ctx, cfg); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				a.Log.Error(err, "applying the admission policies failed; the API server keeps what it has", "retryAfter", a.RetryAfter)
				next = time.Now().Add(a.RetryAfter)
			} else {
				applied, next = cfg, time.Now().Add(a.Resync)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// apply generates the config's policies and puts them in force once.
func (a *Applier) apply(ctx context.Context, cfg *config.Config) error {
	err := func() error {
		set, err := Generate(cfg, a.Options)
		if err != nil {
			return err
		}
		var owner *metav1.OwnerReference
		if a.Owner != nil {
			if owner, err = a.Owner(ctx); err != nil {
				return err
			}
		}
		done, err := Apply(ctx, a.Client, set, owner)
		if err == nil {
			a.Log.V(1).Info("admission policies applied", "objects", done.Applied, "pruned", done.Pruned)
			if done.Pruned > 0 {
				a.Log.Info("pruned admission policies the config no longer has", "pruned", done.Pruned)
			}
		}
		return err
	}()
	a.Metrics.observe(err)
	if err == nil {
		a.applied.Store(true)
	}
	return err
}
