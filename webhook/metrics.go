package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Metrics are the webhook's own series (prefix pullthrough_): admission,
// images, proxy health and the served check; the config reloads' are
// liveconfig's. They are registered on a caller's registry:
// controller-runtime's in the binary, a fresh one in each test.
type Metrics struct {
	images         *prometheus.CounterVec
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	internalErrors prometheus.Counter
	proxyUp        prometheus.Gauge
	proxyChanges   *prometheus.CounterVec
	proxyProbes    *prometheus.CounterVec
	servedChecks   *prometheus.CounterVec
	verdicts       prometheus.Gauge
}

// NewMetrics creates and registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		images: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricImages,
			Help: "Images seen by the webhook, by matched mirror source (or public-registry entry, or other) and outcome.",
		}, []string{"registry", "outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricAdmissionRequests,
			Help: "Admission requests by operation and result: patched; unchanged; rejected (not a Pod, or unreadable: an error response); denied (refused: in enforce, with unrouted: deny, an image would be pulled from a public registry that no mirror covers); error (internal error: allowed unchanged); too-many-images (allowed unchanged); overloaded (HTTP 429 before the body was read).",
		}, []string{"operation", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    wellknown.MetricAdmissionDuration,
			Help:    "Time to answer an admission request, by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"}),
		internalErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: wellknown.MetricAdmissionInternalError,
			Help: "Requests allowed unchanged because of an internal error.",
		}),
		proxyUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: wellknown.MetricProxyUp,
			Help: "1 if the proxy is up (or no probe is configured), 0 once failureThreshold consecutive probes failed.",
		}),
		proxyChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricProxyTransitions,
			Help: "Changes of the proxy's state, by the state entered (up, down).",
		}, []string{"to"}),
		proxyProbes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricProxyProbes,
			Help: "Proxy probes by result (success, failure), including failures too few to mark it down.",
		}, []string{"result"}),
		servedChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: wellknown.MetricServedChecks,
			Help: "Checks of the proxy for a rewritten reference (servedCheck), by result: served; not-served (404: images naming it are left as written); error (no verdict: rewritten); timeout (an admission stopped waiting at servedCheck.budget and applied servedCheck.onTimeout; the check goes on and is counted again when it ends).",
		}, []string{"result"}),
		verdicts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: wellknown.MetricServedVerdicts,
			Help: "Per-reference verdicts the served check keeps (at most servedCheck.maxEntries), expired ones included until looked up.",
		}),
	}
	for _, c := range []prometheus.Collector{m.images, m.requests, m.duration, m.internalErrors, m.proxyUp, m.proxyChanges, m.proxyProbes, m.servedChecks, m.verdicts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.proxyUp.Set(1)
	// Every bounded series exists from the start at 0, so a rate() or an
	// alert sees it before the first event, and the metrics reference
	// (hack/docgen) lists each label's values from the registry itself.
	for _, op := range []string{string(admissionv1.Create), string(admissionv1.Update), operationOther} {
		m.duration.WithLabelValues(op)
		for _, r := range results {
			m.requests.WithLabelValues(op, r)
		}
	}
	for _, to := range []string{proxyStateUp, proxyStateDown} {
		m.proxyChanges.WithLabelValues(to)
	}
	for _, r := range []string{probeSuccess, probeFailure} {
		m.proxyProbes.WithLabelValues(r)
	}
	for _, r := range checkResults {
		m.servedChecks.WithLabelValues(r)
	}
	return m, nil
}

func (m *Metrics) observeRequest(operation, result string, d time.Duration) {
	m.requests.WithLabelValues(operation, result).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
}

func (m *Metrics) countImages(changes []podspec.Change) {
	for _, c := range changes {
		m.images.WithLabelValues(c.RegistryLabel(), string(c.Outcome)).Inc()
	}
}

func (m *Metrics) setProxyUp(up bool) {
	if up {
		m.proxyUp.Set(1)
	} else {
		m.proxyUp.Set(0)
	}
}

// Proxy states, the "to" label of pullthrough_proxy_transitions_total.
const (
	proxyStateUp   = "up"
	proxyStateDown = "down"
)

// Probe results, the "result" label of pullthrough_proxy_probes_total.
const (
	probeSuccess = "success"
	probeFailure = "failure"
)

func (m *Metrics) countProbe(err error) {
	result := probeSuccess
	if err != nil {
		result = probeFailure
	}
	m.proxyProbes.WithLabelValues(result).Inc()
}

func (m *Metrics) countProxyTransition(up bool) {
	to := proxyStateDown
	if up {
		to = proxyStateUp
	}
	m.proxyChanges.WithLabelValues(to).Inc()
}

func (m *Metrics) countCheck(result string) { m.servedChecks.WithLabelValues(result).Inc() }

func (m *Metrics) setVerdicts(n int) { m.verdicts.Set(float64(n)) }
