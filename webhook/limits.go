package webhook

import (
	"strconv"
	"time"

	"github.com/pullthrough/pullthrough/wellknown"
)

// Limits bound what one replica spends on requests, so that no pod creator
// can make it run out of memory (an OOM kill fails every pod admitted
// meanwhile open: failurePolicy Ignore). The zero value of a field means its
// default (DefaultLimits). docs/operations.md sizes the memory limit from
// them.
type Limits struct {
	// MaxPodImages: a pod with more images is admitted unchanged, with one
	// warning, and counted with result "too-many-images".
	MaxPodImages int
	// MaxWarnings is how many per-image warnings one answer carries; the
	// rest are summed up in one more.
	MaxWarnings int
	// MaxBytesInFlight bounds the request bodies held at once, by their
	// Content-Length, before any is read: a request waits for room (at most
	// half of ReadTimeout), then is refused with HTTP 429.
	MaxBytesInFlight int64
	// ReadTimeout is the time from a request's headers to the last byte of
	// its body, the wait for room included: a stalled body is dropped then.
	ReadTimeout time.Duration
	// HandlerTimeout is the time from a request's headers to the last byte
	// of its answer: a client that does not read it is dropped then. The
	// API server waits at most 30 s for a webhook (timeoutSeconds).
	HandlerTimeout time.Duration
}

// DefaultLimits fit the chart's 256Mi memory limit with room to spare
// (docs/operations.md has the measurement) and answer every pod a real
// workload creates.
func DefaultLimits() Limits {
	return Limits{
		MaxPodImages:     wellknown.MaxPodImages,
		MaxWarnings:      wellknown.MaxWarnings,
		MaxBytesInFlight: 16 << 20,
		ReadTimeout:      10 * time.Second,
		HandlerTimeout:   30 * time.Second,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPodImages == 0 {
		l.MaxPodImages = d.MaxPodImages
	}
	if l.MaxWarnings == 0 {
		l.MaxWarnings = d.MaxWarnings
	}
	if l.MaxBytesInFlight == 0 {
		l.MaxBytesInFlight = d.MaxBytesInFlight
	}
	if l.ReadTimeout == 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.HandlerTimeout == 0 {
		l.HandlerTimeout = d.HandlerTimeout
	}
	return l
}

// capWarnings keeps the first max warnings and sums up the rest in one.
func capWarnings(warnings []string, max int) []string {
	if len(warnings) <= max {
		return warnings
	}
	return append(warnings[:max:max], wellknown.WarningMore(strconv.Itoa(len(warnings)-max)))
}
