package nodeconfig

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pullthrough/pullthrough/wellknown"
)

// Metrics are the node agent's series. Each carries a constant node label
// (from NODE_NAME): one value per process, so cardinality stays bounded,
// and a scrape without Kubernetes service discovery still names the node.
type Metrics struct {
	written     prometheus.Counter
	removed     prometheus.Counter
	syncs       *prometheus.CounterVec
	lastOK      prometheus.Gauge
	lastSuccess prometheus.Gauge
	managed     prometheus.Gauge
	warnings    prometheus.Gauge
	reads       prometheus.Gauge
}

// Sync results, the values of the result label.
const (
	resultSuccess = "success"
	resultError   = "error"
)

// NewMetrics creates the series for node and registers them on reg; the
// containerd verdict only withContainerd (the agent checks a configuration).
func NewMetrics(reg prometheus.Registerer, node string, withContainerd bool) (*Metrics, error) {
	labels := prometheus.Labels{"node": node}
	m := &Metrics{
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: wellknown.MetricNodeconfigFilesWritten,
			Help: "hosts.toml files created or updated.", ConstLabels: labels}),
		removed: prometheus.NewCounter(prometheus.CounterOpts{Name: wellknown.MetricNodeconfigFilesRemoved,
			Help: "Owned hosts.toml files removed because no mirror wants them.", ConstLabels: labels}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: wellknown.MetricNodeconfigSyncs,
			Help: "Syncs of the certs.d directory by result (success, error).", ConstLabels: labels}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: wellknown.MetricNodeconfigLastSyncOK,
			Help: "1 if the last sync succeeded, 0 otherwise.", ConstLabels: labels}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: wellknown.MetricNodeconfigLastSuccessTime,
			Help: "Unix time of the last successful sync.", ConstLabels: labels}),
		managed: prometheus.NewGauge(prometheus.GaugeOpts{Name: wellknown.MetricNodeconfigFiles,
			Help: "hosts.toml files the config asks for.", ConstLabels: labels}),
		warnings: prometheus.NewGauge(prometheus.GaugeOpts{Name: wellknown.MetricNodeconfigUnexpressed,
			Help: "Rules of the config that host files cannot carry (see the agent's log).", ConstLabels: labels}),
		reads: prometheus.NewGauge(prometheus.GaugeOpts{Name: wellknown.MetricNodeconfigContainerdReads,
			Help: "With --containerd-config: 1 if the node's containerd reads the host files for the CRI's pulls, 0 if it would ignore them (the log says why); absent without.", ConstLabels: labels}),
	}
	for _, c := range []prometheus.Collector{m.written, m.removed, m.syncs, m.lastOK, m.lastSuccess, m.managed, m.warnings} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	if withContainerd {
		if err := reg.Register(m.reads); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{resultSuccess, resultError} {
		m.syncs.WithLabelValues(r)
	}
	return m, nil
}
