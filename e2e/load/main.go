// Command load measures the webhook under load with vegeta, against the
// baseline (internal/baseline: a do-nothing controller-runtime Pod webhook)
// and the floor (baseline.Floor: reads the request's uid and allows), each
// in its own process behind the same controller-runtime webhook server on
// loopback TLS, so that each has its own peak RSS. It runs them in turn,
// baseline, floor, pullthrough, for -rounds rounds (B F P B F P), and
// reports per server and round: the saturation throughput, p50/p99 at a
// fixed rate, and the peak RSS; then pullthrough's ratios to the baseline
// and to the floor of the same round (median, min–max). With -profile DIR
// each server writes its CPU and allocation profiles there (the last
// round's), for `go tool pprof`. It is its own module so that vegeta stays
// out of the product's dependency graph and govulncheck's scope.
//
//	cd e2e/load && go run . -repo ../.. [-o ../../docs/benchmarks.md] [-profile DIR]
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
	"runtime/pprof"
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
	var s settings
	flag.StringVar(&s.repo, "repo", ".", "the repository root (fixtures are read from it)")
	flag.IntVar(&s.rounds, "rounds", 3, "baseline/floor/pullthrough triples (an odd count has a middle round)")
	flag.IntVar(&s.rate, "rate", 500, "fixed rate for the latency figures, requests per second")
	flag.DurationVar(&s.duration, "duration", 10*time.Second, "length of each attack (at most 60s)")
	flag.Uint64Var(&s.workers, "workers", 8, "connections for the saturation attack")
	flag.StringVar(&s.profile, "profile", "", "write each server's CPU and allocation profiles of its last round into this directory")
	out := flag.String("o", "", "append the Markdown report to this file (default stdout)")
	flag.Parse()
	s.duration = min(s.duration, time.Minute)
	if err := run(s, *out); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// settings are the run's flags.
type settings struct {
	repo             string
	rounds, rate     int
	duration         time.Duration
	workers          uint64
	profile          string
	certDir, cfgPath string
	pool             *x509.CertPool
	body             []byte
}

// servers are measured in this order in every round: the baseline, the
// floor, pullthrough.
var servers = []string{"baseline", "floor", "pullthrough"}

// serve runs one server until SIGTERM: "baseline", "floor" or "pullthrough".
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	which := fs.String("server", "", "baseline, floor or pullthrough")
	port := fs.Int("port", 0, "port on 127.0.0.1")
	certDir := fs.String("cert-dir", "", "tls.crt and tls.key")
	cfgPath := fs.String("config", "", "pullthrough's config")
	profile := fs.String("profile", "", "write CPU and allocation profiles to this path prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile != "" {
		stop, err := startProfiles(*profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	logf.SetLogger(logr.Discard()) // neither server logs per request
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: "127.0.0.1", Port: *port, CertDir: *certDir})
	switch *which {
	case "baseline":
		server.Register(path, baseline.Handler())
	case "floor":
		server.Register(path, baseline.Floor())
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
		return fmt.Errorf("-server %q: want baseline, floor or pullthrough", *which)
	}
	ctx, stop := signalContext()
	defer stop()
	return server.Start(ctx)
}

// figures are one server's results in one round.
type figures struct {
	saturation float64 // successful requests per second
	// cpuPerRequest is the server's CPU time (user and system) during the
	// saturation attack per request it answered: the cost of a request,
	// which a machine shared with other work disturbs less than the rate.
	cpuPerRequest time.Duration
	p50, p99      time.Duration
	success       float64 // share of the fixed-rate requests that succeeded
	rssKB         int
}

func run(s settings, out string) error {
	dir, err := os.MkdirTemp("", "pullthrough-load-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	caPEM, err := certs.WriteSelfSigned(dir, []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		return err
	}
	s.certDir, s.cfgPath = dir, filepath.Join(s.repo, config)
	s.pool = x509.NewCertPool()
	s.pool.AppendCertsFromPEM(caPEM)
	raw, err := os.ReadFile(filepath.Join(s.repo, fixture))
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		return fmt.Errorf("%s: %w", fixture, err)
	}
	s.body = body.Bytes()
	results := map[string][]figures{}
	for round := range s.rounds {
		for _, which := range servers {
			f, err := measure(which, s)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, which, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-11s saturation %.0f/s  CPU %s/request  p50 %s  p99 %s  peak RSS %d MB\n",
				round+1, which, f.saturation, f.cpuPerRequest, f.p50, f.p99, f.rssKB/1024)
			results[which] = append(results[which], f)
		}
	}
	report := render(results, s)
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
func measure(which string, s settings) (figures, error) {
	port, err := cluster.FreePort()
	if err != nil {
		return figures{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return figures{}, err
	}
	args := []string{"serve", "-server", which, "-port", strconv.Itoa(port), "-cert-dir", s.certDir, "-config", s.cfgPath}
	if s.profile != "" {
		args = append(args, "-profile", filepath.Join(s.profile, which))
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return figures{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if err := waitServing(port, s.pool); err != nil {
		return figures{}, err
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port) + path
	before, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	sat, err := attack(url, s.body, s.pool, vegeta.Rate{}, s.duration, s.workers)
	if err != nil {
		return figures{}, err
	}
	after, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	fixed, err := attack(url, s.body, s.pool, vegeta.Rate{Freq: s.rate, Per: time.Second}, s.duration, 0)
	if err != nil {
		return figures{}, err
	}
	rss, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	served := float64(sat.Requests) * sat.Success
	return figures{saturation: sat.Throughput, cpuPerRequest: (after - before) / time.Duration(served), p50: fixed.Latencies.P50, p99: fixed.Latencies.P99, success: fixed.Success, rssKB: rss}, nil
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

// cpuTime reads a process's CPU time so far, user and system, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	_, rest, ok := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime: fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
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

// render writes the figures and pullthrough's ratios to the baseline and to
// the floor, each ratio within one round.
func render(results map[string][]figures, s settings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Under load\n\n`cd e2e/load && go run . -repo ../..`: vegeta on the same machine, loopback TLS (HTTP/1.1, kept-alive\nconnections), each server in its own process behind controller-runtime's webhook server, %d rounds B F P:\nthe baseline (`baseline.Handler`), the floor (`baseline.Floor`: reads the request's uid and allows,\nno admission work at all) and pullthrough. Per server and round a saturation attack (%d connections, %s)\nthen %d req/s for %s. Body: `realistic-istio-pod.json`, %d bytes compact.\n\n", s.rounds, s.workers, s.duration, s.rate, s.duration, len(s.body))
	b.WriteString("| round | server | saturation req/s | server CPU per request | p50 / p99 at rate | success at rate | peak RSS |\n|---|---|---|---|---|---|---|\n")
	for i := range s.rounds {
		for _, which := range servers {
			f := results[which][i]
			fmt.Fprintf(&b, "| %d | %s | %.0f | %s | %s / %s | %.2f%% | %d MB |\n", i+1, which, f.saturation, f.cpuPerRequest.Round(time.Microsecond), f.p50.Round(10*time.Microsecond), f.p99.Round(10*time.Microsecond), 100*f.success, f.rssKB/1024)
		}
	}
	ratio := func(to string, get func(figures) float64) string {
		r := make([]float64, s.rounds)
		for i := range r {
			r[i] = get(results["pullthrough"][i]) / get(results[to][i])
		}
		return fmt.Sprintf("**%.2f×** (%.2f–%.2f)", baseline.Median(r), slices.Min(r), slices.Max(r))
	}
	b.WriteString("\n| pullthrough, same round | to the baseline: median (min–max) | to the floor: median (min–max) | target |\n|---|---|---|---|\n")
	for _, row := range []struct {
		what, target string
		get          func(figures) float64
	}{
		{"saturation", "≥ 0.9× the floor", func(f figures) float64 { return f.saturation }},
		{"server CPU per request", "", func(f figures) float64 { return float64(f.cpuPerRequest) }},
		{fmt.Sprintf("p50 at %d req/s", s.rate), "", func(f figures) float64 { return float64(f.p50) }},
		{fmt.Sprintf("p99 at %d req/s", s.rate), "≤ 1.5× the baseline", func(f figures) float64 { return float64(f.p99) }},
		{"peak RSS", "≤ 1.2× the baseline", func(f figures) float64 { return float64(f.rssKB) }},
	} {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.what, ratio("baseline", row.get), ratio("floor", row.get), row.target)
	}
	return b.String()
}

// startProfiles starts a CPU profile into prefix.cpu.pprof; the function it
// returns stops it and writes the allocations since the start into
// prefix.allocs.pprof.
func startProfiles(prefix string) (func(), error) {
	cpu, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		_ = cpu.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := cpu.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "load serve: CPU profile:", err)
		}
		allocs, err := os.Create(prefix + ".allocs.pprof")
		if err == nil {
			err = errors.Join(pprof.Lookup("allocs").WriteTo(allocs, 0), allocs.Close())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "load serve: allocation profile:", err)
		}
	}, nil
}

// signalContext is cancelled by SIGTERM or SIGINT.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}
