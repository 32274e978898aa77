// Command load measures the webhook under load with vegeta, against the
// baseline (internal/baseline), each in its own process on loopback TLS so
// that each has its own peak RSS. It runs them alternately, baseline then
// pullthrough, for -rounds rounds (B P B P), and reports per server and
// round: the saturation throughput, p50/p99 at a fixed rate, and the peak
// RSS; then pullthrough's ratios to the baseline of the same round (median,
// min–max). It is its own module so that vegeta stays out of the product's
// dependency graph and govulncheck's scope.
//
//	cd e2e/load && go run . -repo ../.. [-o ../../docs/benchmarks.md]
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/internal/baseline"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

const (
	fixture = "webhook/testdata/requests/realistic-istio-pod.json"
	config  = "webhook/testdata/config.yaml"
	path    = "/mutate-pods"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "load serve:", err)
			os.Exit(1)
		}
		return
	}
	repo := flag.String("repo", ".", "the repository root (fixtures are read from it)")
	rounds := flag.Int("rounds", 2, "baseline/pullthrough pairs")
	rate := flag.Int("rate", 500, "fixed rate for the latency figures, requests per second")
	duration := flag.Duration("duration", 10*time.Second, "length of each attack (at most 60s)")
	workers := flag.Uint64("workers", 8, "connections for the saturation attack")
	out := flag.String("o", "", "append the Markdown report to this file (default stdout)")
	flag.Parse()
	if err := run(*repo, *rounds, *rate, min(*duration, time.Minute), *workers, *out); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// serve runs one server until SIGTERM: "baseline" or "pullthrough".
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	which := fs.String("server", "", "baseline or pullthrough")
	port := fs.Int("port", 0, "port on 127.0.0.1")
	certDir := fs.String("cert-dir", "", "tls.crt and tls.key")
	cfgPath := fs.String("config", "", "pullthrough's config")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logf.SetLogger(logr.Discard()) // neither server logs per request
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: "127.0.0.1", Port: *port, CertDir: *certDir})
	switch *which {
	case "baseline":
		server.Register(path, baseline.Handler())
	case "pullthrough":
		live, err := liveconfig.Load(*cfgPath)
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
		server.Register(path, webhook.Handlers(state, metrics, webhook.Limits{})[webhook.PathMutate])
	default:
		return fmt.Errorf("-server %q: want baseline or pullthrough", *which)
	}
	ctx, stop := signalContext()
	defer stop()
	return server.Start(ctx)
}

// figures are one server's results in one round.
type figures struct {
	saturation float64 // successful requests per second
	p50, p99   time.Duration
	success    float64 // share of the fixed-rate requests that succeeded
	rssKB      int
}

func run(repo string, rounds, rate int, duration time.Duration, workers uint64, out string) error {
	dir, err := os.MkdirTemp("", "pullthrough-load-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	caPEM, err := certs.WriteSelfSigned(dir, []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	raw, err := os.ReadFile(filepath.Join(repo, fixture))
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		return fmt.Errorf("%s: %w", fixture, err)
	}
	servers := []string{"baseline", "pullthrough"}
	results := map[string][]figures{}
	for round := range rounds {
		for _, which := range servers {
			f, err := measure(which, filepath.Join(repo, config), dir, pool, body.Bytes(), rate, duration, workers)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, which, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-11s saturation %.0f/s  p50 %s  p99 %s  peak RSS %d MB\n",
				round+1, which, f.saturation, f.p50, f.p99, f.rssKB/1024)
			results[which] = append(results[which], f)
		}
	}
	report := render(results, rounds, rate, duration, workers, body.Len())
	if out == "" {
		_, err = os.Stdout.WriteString(report)
		return err
	}
	file, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := file.WriteString(report); err != nil {
		_ = file.Close()
		return err
	}
	return file.Close()
}

// measure starts one server process, saturates it, then loads it at rate,
// and reads its peak RSS before stopping it.
func measure(which, cfgPath, certDir string, pool *x509.CertPool, body []byte, rate int, duration time.Duration, workers uint64) (figures, error) {
	port, err := cluster.FreePort()
	if err != nil {
		return figures{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return figures{}, err
	}
	cmd := exec.Command(self, "serve", "-server", which, "-port", strconv.Itoa(port), "-cert-dir", certDir, "-config", cfgPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return figures{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if err := waitServing(port, pool); err != nil {
		return figures{}, err
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port) + path
	sat, err := attack(url, body, pool, vegeta.Rate{}, duration, workers)
	if err != nil {
		return figures{}, err
	}
	fixed, err := attack(url, body, pool, vegeta.Rate{Freq: rate, Per: time.Second}, duration, 0)
	if err != nil {
		return figures{}, err
	}
	rss, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	return figures{saturation: sat.Throughput, p50: fixed.Latencies.P50, p99: fixed.Latencies.P99, success: fixed.Success, rssKB: rss}, nil
}

// attack sends load at url: at rate, or as fast as workers allow when the
// rate is zero. Every answer must be a success.
func attack(url string, body []byte, pool *x509.CertPool, rate vegeta.Rate, duration time.Duration, workers uint64) (*vegeta.Metrics, error) {
	targeter := vegeta.NewStaticTargeter(vegeta.Target{
		Method: http.MethodPost, URL: url, Body: body,
		Header: http.Header{"Content-Type": []string{"application/json"}},
	})
	opts := []func(*vegeta.Attacker){vegeta.TLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), vegeta.Timeout(10 * time.Second)}
	if rate.Freq == 0 {
		opts = append(opts, vegeta.Workers(workers), vegeta.MaxWorkers(workers))
	}
	attacker := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, rate, duration, url) {
		m.Add(res)
	}
	m.Close()
	// On a loaded machine a request may time out: throughput counts
	// successes only, and the report gives the share that succeeded. A
	// server that answers nothing is an error, not a figure.
	if m.Success == 0 {
		return nil, fmt.Errorf("all %d requests failed, e.g. %v", m.Requests, m.Errors)
	}
	return &m, nil
}

// peakRSS reads a process's peak resident set (VmHWM), in KiB.
func peakRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

func waitServing(port int, pool *x509.CertPool) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		if err == nil {
			return conn.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the server did not start")
}

// render writes the figures and the ratios, each ratio within one round.
func render(results map[string][]figures, rounds, rate int, duration time.Duration, workers uint64, bodyLen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Under load\n\n`cd e2e/load && go run . -repo ../..`: vegeta on the same machine, loopback TLS, each server in its\nown process, %d rounds B P; per server and round a saturation attack (%d connections, %s)\nthen %d req/s for %s. Body: `realistic-istio-pod.json`, %d bytes compact.\n\n", rounds, workers, duration, rate, duration, bodyLen)
	b.WriteString("| round | server | saturation req/s | p50 / p99 at rate | success at rate | peak RSS |\n|---|---|---|---|---|---|\n")
	for i := range rounds {
		for _, which := range []string{"baseline", "pullthrough"} {
			f := results[which][i]
			fmt.Fprintf(&b, "| %d | %s | %.0f | %s / %s | %.2f%% | %d MB |\n", i+1, which, f.saturation, f.p50.Round(10*time.Microsecond), f.p99.Round(10*time.Microsecond), 100*f.success, f.rssKB/1024)
		}
	}
	ratio := func(get func(figures) float64) string {
		r := make([]float64, rounds)
		for i := range r {
			r[i] = get(results["pullthrough"][i]) / get(results["baseline"][i])
		}
		s := slices.Sorted(slices.Values(r))
		return fmt.Sprintf("**%.2f×** (%.2f–%.2f)", s[len(s)/2], s[0], s[len(s)-1])
	}
	b.WriteString("\n| pullthrough / baseline, same round | median (min–max) | target |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| saturation | %s | ≥ 0.9× |\n", ratio(func(f figures) float64 { return f.saturation }))
	fmt.Fprintf(&b, "| p50 at %d req/s | %s | |\n", rate, ratio(func(f figures) float64 { return float64(f.p50) }))
	fmt.Fprintf(&b, "| p99 at %d req/s | %s | ≤ 1.5× |\n", rate, ratio(func(f figures) float64 { return float64(f.p99) }))
	fmt.Fprintf(&b, "| peak RSS | %s | ≤ 1.2× |\n", ratio(func(f figures) float64 { return float64(f.rssKB) }))
	return b.String()
}

// signalContext is cancelled by SIGTERM or SIGINT.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}
