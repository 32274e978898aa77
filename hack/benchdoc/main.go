// Command benchdoc measures the webhook in process against a baseline on the
// realistic corpus and writes the ratios as Markdown. The baseline is what
// every controller-runtime Pod webhook pays: decode the review, decode the
// Pod, allow. Both are served through their HTTP handler, alternately
// (B P B P) so that a machine shared with other work slows both alike; the
// report gives the median ratio and its spread over the rounds.
//
//	go run ./hack/benchdoc -rounds 5 -o docs/benchmarks.md
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pullthrough/pullthrough/internal/baseline"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

// corpus is the realistic corpus, with the target each ratio must meet.
var corpus = []struct {
	fixture, what string
	target        float64
}{
	{"realistic-deployment-pod", "Deployment pod, managedFields, 4 images (CREATE)", 1.5},
	{"realistic-istio-pod", "Istio-injected pod, 3 images (CREATE)", 1.5},
	{"realistic-30-containers", "30 containers (CREATE)", 1.5},
	{"realistic-update-metadata", "metadata-only UPDATE of an admitted pod", 1.2},
}

const dir = "webhook/testdata"

func main() {
	rounds := flag.Int("rounds", 5, "baseline/pullthrough pairs per fixture")
	benchtime := flag.Duration("benchtime", 500*time.Millisecond, "time per measurement")
	out := flag.String("o", "", "write the Markdown report here (default stdout)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of pullthrough's runs here")
	flag.Parse()
	if err := run(*rounds, *benchtime, *out, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		os.Exit(1)
	}
}

type measure struct{ ns, allocs []float64 }

func run(rounds int, benchtime time.Duration, out, cpuprofile string) error {
	testing.Init()
	logf.SetLogger(logr.Discard()) // controller-runtime's error logs are not the measure
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		return err
	}
	live, err := liveconfig.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return err
	}
	state, err := webhook.NewState(live)
	if err != nil {
		return err
	}
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		return err
	}
	pullthrough := webhook.Handlers(state, metrics, webhook.Limits{})[webhook.PathMutate]
	doNothing := baseline.Handler()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `make bench` (do not edit by hand). Every figure is a ratio to a baseline measured\nalternately with it (B P B P) in the same run: controller-runtime's Pod webhook that decodes the\nreview and the Pod and allows it (`internal/baseline`); under load also to the floor, a server that\nreads the request's uid and allows (`baseline.Floor`). Absolute times vary with the machine and\nwhat else runs on it; the median ratio and its min–max over the rounds are the result.\n\n")
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s, load average at start %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), loadAverage())
	fmt.Fprintf(&b, "## In process\n\n`go run ./hack/benchdoc`: each request served through the handler's HTTP entry point\n(httptest), %d rounds of %s per handler and fixture. Corpus: `webhook/testdata/requests/realistic-*.json`.\n\n", rounds, benchtime)
	fmt.Fprintf(&b, "| fixture | pod bytes (compact) | baseline time/op, allocs/op | pullthrough time/op, allocs/op | ratio time (min–max) | ratio allocs | target |\n|---|---|---|---|---|---|---|\n")
	for _, c := range corpus {
		body, err := os.ReadFile(filepath.Join(dir, "requests", c.fixture+".json"))
		if err != nil {
			return err
		}
		var base, ours measure
		for range rounds {
			for _, m := range []struct {
				h  http.Handler
				to *measure
			}{{doNothing, &base}, {pullthrough, &ours}} {
				r := testing.Benchmark(func(b *testing.B) { serve(b, m.h, body) })
				m.to.ns = append(m.to.ns, float64(r.NsPerOp()))
				m.to.allocs = append(m.to.allocs, float64(r.AllocsPerOp()))
			}
		}
		ratios := make([]float64, rounds)
		for i := range ratios {
			ratios[i] = ours.ns[i] / base.ns[i]
		}
		ok := "met"
		if baseline.Median(ratios) > c.target {
			ok = "**missed**"
		}
		fmt.Fprintf(&b, "| %s: %s | %d | %.0f µs, %.0f | %.0f µs, %.0f | **%.2f×** (%.2f–%.2f) | %.2f× | ≤ %.1f× %s |\n",
			c.fixture, c.what, objectBytes(body), baseline.Median(base.ns)/1e3, baseline.Median(base.allocs), baseline.Median(ours.ns)/1e3, baseline.Median(ours.allocs),
			baseline.Median(ratios), slices.Min(ratios), slices.Max(ratios), baseline.Median(ours.allocs)/baseline.Median(base.allocs), c.target, ok)
	}
	if err := servedSection(&b, rounds); err != nil {
		return fmt.Errorf("the served check: %w", err)
	}
	var w io.Writer = os.Stdout
	if out != "" {
		kept, err := keptSections(out)
		if err != nil {
			return err
		}
		if kept != "" {
			b.WriteString("\n" + strings.TrimRight(kept, "\n") + "\n")
		}
		return os.WriteFile(out, []byte(b.String()), 0o644)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// serve posts body to h b.N times, as the API server would.
func serve(b *testing.B, h http.Handler, body []byte) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, string(webhook.PathMutate), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
			b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
	}
}

// objectBytes is the size of the review's object (the pod).
func objectBytes(body []byte) int {
	i := bytes.Index(body, []byte(`"object":`))
	j := bytes.Index(body, []byte(`"oldObject":`))
	if i < 0 || j < i {
		return len(body)
	}
	return len(bytes.Join(bytes.Fields(body[i:j]), nil))
}

// cpuModel names the processor, for the report.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAverage is the 1-minute load average: a shared machine shows here.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
