package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/internal/metricsauth"
	"github.com/pullthrough/pullthrough/inventory"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/nodeconfig"
	"github.com/pullthrough/pullthrough/policy"
	"github.com/pullthrough/pullthrough/pullfailures"
	"github.com/pullthrough/pullthrough/pullsecret"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/verdicts"
	"github.com/pullthrough/pullthrough/webhook"
)

// metricSet is the collectors one process registers.
type metricSet struct {
	process  string
	register func(prometheus.Registerer) error
}

var metricSets = []metricSet{
	{"pullthrough webhook", func(r prometheus.Registerer) error { _, err := webhook.NewMetrics(r); return err }},
	{"pullthrough webhook and pullthrough policy --watch: the live config", func(r prometheus.Registerer) error {
		_, err := liveconfig.NewMetrics(r)
		return err
	}},
	{"pullthrough webhook --pod-images (chart: metrics.podImages)", func(r prometheus.Registerer) error {
		_, err := inventory.RegisterMetrics(r, cache.NewStore(cache.MetaNamespaceKeyFunc), nil)
		return err
	}},
	{"pullthrough webhook --pull-failures (chart: metrics.pullFailures)", func(r prometheus.Registerer) error {
		_, _, err := pullfailures.RegisterMetrics(r, nil)
		return err
	}},
	{"pullthrough webhook --verdict-record NS/NAME", func(r prometheus.Registerer) error {
		_, err := verdicts.RegisterMetrics(r)
		return err
	}},
	{"pullthrough webhook --check-pull-secrets / --replicate-pull-secret (chart: pullSecrets; the replicator also in policy --watch)", func(r prometheus.Registerer) error {
		_, err := pullsecret.NewMetrics(r)
		return err
	}},
	{"pullthrough nodeconfig --watch (the node agent)", func(r prometheus.Registerer) error {
		_, err := nodeconfig.NewMetrics(r, "NODE", true)
		return err
	}},
	{"pullthrough policy --watch (chart: engine: policy)", func(r prometheus.Registerer) error {
		_, err := policy.NewMetrics(r)
		return err
	}},
	{"--metrics-secure of each of them (chart: metrics.secure)", func(r prometheus.Registerer) error {
		_, err := metricsauth.New(nil, r)
		return err
	}},
}

// labelValues describes the values of the labels whose series do not exist
// until something is counted (they depend on the config), by metric/label. A
// label with neither a series at start nor an entry here fails the
// generator: every label's values are documented and bounded.
var labelValues = map[string]string{
	"pullthrough_images_total/registry":        "a `mirrors[].source` of the config, an entry of the public-registry list (`publicRegistries`), or `other`",
	"pullthrough_images_total/outcome":         "`" + strings.Join(outcomeNames(), "`, `") + "`",
	"pullthrough_pod_images/registry":          "as `pullthrough_images_total`'s: a `mirrors[].source`, a `publicRegistries` entry, or `other`",
	"pullthrough_pod_images/outcome":           "`" + strings.Join(outcomeNames(), "`, `") + "`, as enforce would decide (`rewritten`: still pulls direct)",
	"pullthrough_pull_failures_total/registry": "the `mirrors[].source` of the mirror whose target the failing image is under",
	"pullthrough_pull_failures_total/reason":   "`" + strings.Join(reasonNames(), "`, `") + "`: what the registry answered (`401` also for 403)",
	"*/node":                                   "the node's name (`NODE_NAME`, set by the chart's DaemonSet): a constant label, one value per process",
}

func reasonNames() []string {
	names := make([]string, len(pullfailures.Reasons))
	for i, r := range pullfailures.Reasons {
		names[i] = string(r)
	}
	return names
}

func outcomeNames() []string {
	names := make([]string, len(rewrite.Outcomes))
	for i, o := range rewrite.Outcomes {
		names[i] = string(o)
	}
	return names
}

// renderMetrics registers each process's collectors on a fresh registry and
// documents every series: name, type, labels with their values, and help.
func renderMetrics(string) ([]byte, error) {
	b := header("Metrics reference", "the collectors the binary registers (webhook.NewMetrics, liveconfig.NewMetrics, nodeconfig.NewMetrics)")
	b.WriteString("Every label is bounded: its values are listed below, and none carries a raw host or name from a request.\n" +
		"The webhook serves `/metrics` on `--metrics-bind-address` (chart: `webhook.ports.metrics`, 8080), beside\n" +
		"controller-runtime's own `controller_runtime_webhook_*` series and the Go and process collectors;\n" +
		"the node agent serves its own on its `--metrics-bind-address`.\n")
	for _, set := range metricSets {
		reg := prometheus.NewPedanticRegistry()
		rec := &recorder{Registerer: reg}
		if err := set.register(rec); err != nil {
			return nil, fmt.Errorf("%s: %w", set.process, err)
		}
		families, err := reg.Gather()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", set.process, err)
		}
		gathered := map[string]*dto.MetricFamily{}
		for _, mf := range families {
			gathered[mf.GetName()] = mf
		}
		fmt.Fprintf(b, "\n## %s\n\n| Metric | Type | Labels and their values | Help |\n|---|---|---|---|\n", set.process)
		descs, err := rec.descs()
		if err != nil {
			return nil, err
		}
		for _, d := range descs {
			mf := gathered[d.name]
			labels, err := describeLabels(d, mf)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", d.name, metricType(d, mf), cell(labels), cell(d.help))
		}
	}
	return b.Bytes(), nil
}

// metricType is the family's type; a family without series yet is a vector
// of unknown type only to Gather, so the collector's Go type decides.
func metricType(d desc, mf *dto.MetricFamily) string {
	if mf != nil {
		return strings.ToLower(mf.GetType().String())
	}
	return d.kind
}

// describeLabels lists each label with its values: those of the series
// that exist at start, else labelValues' description.
func describeLabels(d desc, mf *dto.MetricFamily) (string, error) {
	var parts []string
	for _, l := range d.labels {
		values := map[string]bool{}
		if mf != nil {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == l {
						values["`"+lp.GetValue()+"`"] = true
					}
				}
			}
		}
		text, ok := labelValues[d.name+"/"+l]
		if !ok {
			text, ok = labelValues["*/"+l]
		}
		switch {
		case ok:
		case len(values) > 0:
			text = strings.Join(slices.Sorted(maps.Keys(values)), ", ")
		default:
			return "", fmt.Errorf("%s: label %q has no series at start and no entry in labelValues: say which values it takes", d.name, l)
		}
		parts = append(parts, "`"+l+"`: "+text)
	}
	if len(parts) == 0 {
		return "—", nil
	}
	return strings.Join(parts, "; "), nil
}

// desc is what the generator needs of a prometheus.Desc, which exposes it
// only through String().
type desc struct {
	name, help, kind string
	labels           []string // constant labels, then variable ones
}

// recorder keeps the collectors in registration order, which the page
// follows, while registering them on the real registry.
type recorder struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

var (
	descName     = regexp.MustCompile(`fqName: "([^"]+)"`)
	descHelp     = regexp.MustCompile(`help: "((?:[^"\\]|\\.)*)"`)
	descConst    = regexp.MustCompile(`constLabels: \{([^}]*)\}`)
	descVariable = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// descs reads every registered collector's descriptors.
func (r *recorder) descs() ([]desc, error) {
	var out []desc
	for _, c := range r.collectors {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			s := d.String()
			name, help := descName.FindStringSubmatch(s), descHelp.FindStringSubmatch(s)
			if name == nil || help == nil {
				return nil, fmt.Errorf("cannot read %s", s)
			}
			dd := desc{name: name[1], help: strings.ReplaceAll(help[1], `\"`, `"`), kind: collectorKind(c)}
			if m := descConst.FindStringSubmatch(s); m != nil && m[1] != "" {
				for kv := range strings.SplitSeq(m[1], ",") {
					k, _, _ := strings.Cut(kv, "=")
					dd.labels = append(dd.labels, k)
				}
			}
			if m := descVariable.FindStringSubmatch(s); m != nil && m[1] != "" {
				dd.labels = append(dd.labels, strings.Split(m[1], ",")...)
			}
			out = append(out, dd)
		}
	}
	return out, nil
}

// collectorKind names a collector's type for a vector that has no series yet.
func collectorKind(c prometheus.Collector) string {
	switch c.(type) {
	case *prometheus.CounterVec:
		return "counter"
	case *prometheus.GaugeVec:
		return "gauge"
	case *prometheus.HistogramVec:
		return "histogram"
	case *prometheus.SummaryVec:
		return "summary"
	}
	return "untyped"
}
