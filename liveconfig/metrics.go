package liveconfig

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pullthrough/pullthrough/wellknown"
)

// Metrics are the reloads' series: how many were put in force or rejected,
// and whether the config on disk is the one serving.
type Metrics struct {
	reloads *prometheus.CounterVec
	lastOK  prometheus.Gauge
}

// Reload results, the "result" label of pullthrough_config_reloads_total.
const (
	reloadSuccess = "success"
	reloadError   = "error"
)

// NewMetrics creates and registers the reloads' series on reg, each at its
// start value (no reload yet, the config on disk serving).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricConfigReloads,
			Help: "Config reloads by result (success, error).",
		}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: wellknown.MetricConfigLastReloadOK,
			Help: "1 if the last config load succeeded, 0 if the previous config is still serving.",
		}),
	}
	for _, c := range []prometheus.Collector{m.reloads, m.lastOK} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.lastOK.Set(1)
	// Both series exist from the start at 0, so a rate() or an alert sees
	// them before the first reload (and hack/docgen lists the values).
	for _, r := range []string{reloadSuccess, reloadError} {
		m.reloads.WithLabelValues(r)
	}
	return m, nil
}

// observe counts one reload, put in force (err nil) or rejected.
func (m *Metrics) observe(err error) {
	if err != nil {
		m.reloads.WithLabelValues(reloadError).Inc()
		m.lastOK.Set(0)
		return
	}
	m.reloads.WithLabelValues(reloadSuccess).Inc()
	m.lastOK.Set(1)
}
