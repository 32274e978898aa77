package pullfailures

import (
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pullthrough/pullthrough/liveconfig"
)

// failedPull is what the informer keeps of an Event: its key, the image and
// reason of the failed pull it reports ("" for another Failed event) and how
// many times it happened.
type failedPull struct {
	metav1.ObjectMeta
	Image  string
	Reason Reason
	Count  int32
}

var _ runtime.Object = (*failedPull)(nil)

// GetObjectKind is runtime.Object's: a kept event carries no kind.
func (*failedPull) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject is runtime.Object's.
func (f *failedPull) DeepCopyObject() runtime.Object {
	c := *f
	c.ObjectMeta = *f.DeepCopy() // ObjectMeta's, promoted
	return &c
}

// Transform reduces a listed or watched Event to a failedPull before the
// informer keeps it. Anything else (a deletion marker) passes unchanged.
func Transform(obj any) (any, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return obj, nil
	}
	kept := &failedPull{
		ObjectMeta: metav1.ObjectMeta{Name: e.Name, Namespace: e.Namespace, UID: e.UID, ResourceVersion: e.ResourceVersion},
		Count:      occurrences(e),
	}
	kept.Image, kept.Reason, _ = Parse(e.Message)
	return kept, nil
}

// occurrences is how many times an event happened: core/v1's count, or the
// series' count of an event written through events.k8s.io/v1; at least one.
func occurrences(e *corev1.Event) int32 {
	n := max(e.Count, 1)
	if e.Series != nil {
		n = max(n, e.Series.Count)
	}
	return n
}

// Counter is pullthrough_pull_failures_total: it counts the new occurrences
// of the failed pulls of images under a mirror's target of the config live
// holds.
type Counter struct {
	live     *liveconfig.Live
	failures *prometheus.CounterVec
}

// observe counts what happened between old (nil for a new event) and now.
func (c *Counter) observe(old, now *failedPull) {
	if now.Image == "" {
		return
	}
	n := now.Count
	if old != nil {
		n -= old.Count
	}
	if n <= 0 {
		return
	}
	registry := c.live.Current().Rewriter.SourceOf(now.Image)
	if registry == "" {
		return // not pulled through the proxy: not pullthrough's doing
	}
	c.failures.WithLabelValues(registry, string(now.Reason)).Add(float64(n))
}
