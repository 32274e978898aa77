package cluster

import (
	"bytes"
	"context"
	"fmt"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// APIServerMetrics scrapes and parses the API server's /metrics, for tests
// that check the server's own view of what happened (fail-open webhook
// calls, the time it spent on requests) rather than the client's.
func APIServerMetrics(ctx context.Context, cs kubernetes.Interface) (map[string]*dto.MetricFamily, error) {
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("scraping the API server's /metrics: %w", err)
	}
	return ParseMetrics(body, "the API server's /metrics")
}

// ParseMetrics parses a scrape in Prometheus' text format, for MetricSum;
// what names it in an error.
func ParseMetrics(body []byte, what string) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", what, err)
	}
	return families, nil
}

// MetricSum totals the samples of family name whose labels keep accepts
// (all of them when keep is nil): the values of a counter or gauge, or the
// sums of a histogram with count its observations. An absent family is 0.
func MetricSum(families map[string]*dto.MetricFamily, name string, keep func(labels map[string]string) bool) (sum float64, count uint64) {
	family := families[name]
	if family == nil {
		return 0, 0
	}
	for _, m := range family.GetMetric() {
		labels := make(map[string]string, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if keep != nil && !keep(labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += m.GetHistogram().GetSampleSum()
			count += m.GetHistogram().GetSampleCount()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, count
}
