package pullsecret

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pullthrough/pullthrough/wellknown"
)

// Metrics are the pull-secret check's and the replicator's series.
type Metrics struct {
	writes      *prometheus.CounterVec
	watchErrors prometheus.Counter
}

// NewMetrics creates and registers the metrics on reg, every series of the
// writes made at start.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricPullSecretWrites,
			Help: "Writes of copies of the pull secret by the replicator, by action (create, update, delete) and result (success, error).",
		}, []string{"action", "result"}),
		watchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: wellknown.MetricPullSecretWatchErrors,
			Help: "Failed lists and watches of the pull-secret check's and the replicator's informers.",
		}),
	}
	for _, c := range []prometheus.Collector{m.writes, m.watchErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register pull-secret metrics: %w", err)
		}
	}
	for _, a := range actions {
		for _, result := range []string{"success", "error"} {
			m.writes.WithLabelValues(string(a), result)
		}
	}
	return m, nil
}
