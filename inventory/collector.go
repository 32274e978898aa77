package inventory

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

var podImagesDesc = prometheus.NewDesc(wellknown.MetricPodImages,
	"Image references of the pods that exist now (not Succeeded or Failed), by registry (mirror source, public-registry entry, or other) and the outcome enforce would give them: rewritten means the reference still pulls direct.",
	[]string{"registry", "outcome"}, nil)

// Pods lists the cached pods: an informer's store.
type Pods interface {
	List() []any
}

// collector is the gauge: at every scrape it judges the pods of Pods with
// the config in force in a liveconfig.Live.
type collector struct {
	pods Pods
	live *liveconfig.Live

	mu      sync.Mutex
	config  *config.Config    // the config rw was built from
	rw      *rewrite.Rewriter // its routing in enforce mode
	rwError error
}

var _ prometheus.Collector = (*collector)(nil)

// newCollector judges pods with the config in force in live.
func newCollector(pods Pods, live *liveconfig.Live) *collector {
	return &collector{pods: pods, live: live}
}

// Describe sends the gauge's one descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- podImagesDesc }

// Collect counts every cached pod's references by registry and outcome.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	pods := c.pods.List()
	if len(pods) == 0 {
		return // no pods listed (yet): no series
	}
	cfg := c.live.Config()
	rw, err := c.rewriter(cfg)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(podImagesDesc, err)
		return
	}
	type key struct{ registry, outcome string }
	counts := map[key]int{}
	for _, obj := range pods {
		pod, ok := obj.(*cachedPod)
		if !ok {
			continue // the store holds only what Transform returns
		}
		changes := podspec.DecidePod(rw, &pod.Spec, podspec.OptedOut(pod.Labels, pod.Annotations), cfg.NamespaceExcluded(pod.Namespace))
		for _, d := range changes {
			counts[key{d.RegistryLabel(), string(d.Outcome)}]++
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(podImagesDesc, prometheus.GaugeValue, float64(n), k.registry, k.outcome)
	}
}

// rewriter is the enforce-mode Rewriter of cfg, built once per config.
func (c *collector) rewriter(cfg *config.Config) (*rewrite.Rewriter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.config != cfg {
		c.config = cfg
		c.rw, c.rwError = rewrite.New(cfg.Rules())
	}
	return c.rw, c.rwError
}
