//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// proxied is what the test config makes of the stream's image.
const (
	streamImage = "nginx:1.27"
	proxied     = "proxy.example.internal/dockerhub/library/nginx:1.27"
)

// figures are one fault's counts, as docs/reliability.md tabulates them.
type figures struct {
	fault                                    string
	requested, created, rewritten, unchanged int64
	failed                                   int64
	failOpen, rejected                       float64
	note                                     string
}

func (f figures) row() string {
	if f.requested == 0 {
		return fmt.Sprintf("| %s | - | - | - | - | - | - | - | %s |", f.fault, f.note)
	}
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %.0f | %.0f | %s |",
		f.fault, f.requested, f.created, f.rewritten, f.unchanged, f.failed, f.failOpen, f.rejected, f.note)
}

// tableHeader heads the Markdown table of figures.
const tableHeader = "| fault | requested | created | rewritten | unchanged | failed | fail-open (API server) | rejected (API server) | note |\n" +
	"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"

// stream creates pods at rate per second for duration in namespace ns,
// each in its own request, and counts how each ended. at runs beside it:
// the fault, given how far into the stream to act.
type stream struct {
	cs       kubernetes.Interface
	ns       string
	rate     int
	duration time.Duration
	// containers of every pod; nil means one container of streamImage.
	containers []corev1.Container
	// check, if set, judges every created pod; an error counts as mismatched.
	check func(corev1.PodSpec) error

	requested, created, rewritten, unchanged, failed, mismatched atomic.Int64
	mu                                                           sync.Mutex
	errs                                                         []string
}

// settings reads PT_FAULT_RATE and PT_FAULT_DURATION.
func settings(t *testing.T) (rate int, duration time.Duration) {
	rate, duration = envInt(t, "PT_FAULT_RATE", 20), 15*time.Second
	if v := os.Getenv("PT_FAULT_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("PT_FAULT_DURATION=%q: want a duration of at least 10s", v)
		}
		duration = d
	}
	return rate, duration
}

// envInt reads the positive integer in the environment variable name, or
// returns def when it is unset.
func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// run sends the stream; every request is answered (or fails) before it returns.
func (s *stream) run(ctx context.Context, prefix string) {
	total := int(s.duration.Seconds()) * s.rate
	tick := time.NewTicker(time.Second / time.Duration(s.rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range total {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.create(ctx, fmt.Sprintf("%s-%d", prefix, i))
		}()
	}
	wg.Wait()
}

func (s *stream) create(ctx context.Context, name string) {
	s.requested.Add(1)
	containers := s.containers
	if containers == nil {
		containers = []corev1.Container{{Name: "app", Image: streamImage}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: containers},
	}
	got, err := s.cs.CoreV1().Pods(s.ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		s.failed.Add(1)
		s.note(err)
		return
	}
	s.created.Add(1)
	if got.Spec.Containers[0].Image == containers[0].Image {
		s.unchanged.Add(1)
	} else {
		s.rewritten.Add(1)
	}
	if s.check != nil {
		if err := s.check(got.Spec); err != nil {
			s.mismatched.Add(1)
			s.note(fmt.Errorf("pod %s: %w", name, err))
		}
	}
}

// note keeps an error for the failure message.
func (s *stream) note(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err.Error())
}

// figures returns the stream's counts under fault's name.
func (s *stream) figures(fault string) figures {
	return figures{
		fault: fault, requested: s.requested.Load(), created: s.created.Load(),
		rewritten: s.rewritten.Load(), unchanged: s.unchanged.Load(), failed: s.failed.Load(),
	}
}

// firstErrors is up to three of the stream's errors, for a failure message.
func (s *stream) firstErrors() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.errs[:min(3, len(s.errs))], "; ")
}

// during runs the stream and, beside it, fault (given the stream's
// duration); it returns once both are done.
func (s *stream) during(t *testing.T, prefix string, fault func(d time.Duration)) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fault(s.duration)
	}()
	s.run(t.Context(), prefix)
	<-done
}
