// Command load measures the webhook under sustained load with vegeta: the
// real TLS server on loopback, the typical pod fixture, and controller-runtime
// with an allow-everything handler on the same server as the baseline. It
// reports each path's latency and pullthrough's cost as a ratio to the
// baseline, which is what stays comparable between machines.
//
//	go run ./e2e/load -rate 500 -duration 10s
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/webhook"
)

const baselinePath = "/allow"

func main() {
	rate := flag.Int("rate", 500, "requests per second, per path")
	duration := flag.Duration("duration", 10*time.Second, "attack length per path (at most 60s)")
	flag.Parse()
	if err := run(*rate, min(*duration, time.Minute)); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(rate int, duration time.Duration) error {
	dir, err := os.MkdirTemp("", "pullthrough-load-")
	if err != nil {
		return err
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, "load: removing", dir, err)
		}
	}()
	caPEM, err := certs.WriteSelfSigned(dir, []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		return err
	}
	port, err := cluster.FreePort()
	if err != nil {
		return err
	}
	cfg, _, err := webhook.LoadInitial("webhook/testdata/config.yaml")
	if err != nil {
		return err
	}
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		return err
	}
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: "127.0.0.1", Port: port, CertDir: dir})
	for path, h := range webhook.Handlers(webhook.NewState(cfg), metrics) {
		server.Register(path, h)
	}
	server.Register(baselinePath, &admission.Webhook{Handler: admission.HandlerFunc(
		func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := server.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	if err := waitServing(port, pool); err != nil {
		return err
	}
	body, err := os.ReadFile(filepath.Join("webhook", "testdata", "requests", "typical-pod.json"))
	if err != nil {
		return err
	}
	base := "https://127.0.0.1:" + strconv.Itoa(port)
	fmt.Printf("%d req/s for %s per path, typical pod (3 containers, 1 init, 1 sidecar), loopback TLS\n", rate, duration)
	var p50, p99 [2]time.Duration
	for i, path := range []string{baselinePath, webhook.PathMutate} {
		m, err := attack(base+path, body, pool, rate, duration)
		if err != nil {
			return err
		}
		p50[i], p99[i] = m.Latencies.P50, m.Latencies.P99
		fmt.Printf("%-14s requests %d  success %.2f%%  p50 %s  p99 %s  max %s\n", path, m.Requests, 100*m.Success, m.Latencies.P50, m.Latencies.P99, m.Latencies.Max)
		if m.Success < 1 {
			return fmt.Errorf("%s: %d errors, e.g. %v", path, len(m.Errors), m.Errors)
		}
	}
	fmt.Printf("ratio %s/%s: p50 %.2fx  p99 %.2fx\n", webhook.PathMutate, baselinePath,
		float64(p50[1])/float64(p50[0]), float64(p99[1])/float64(p99[0]))
	return nil
}

// attack sends a bounded, fixed-rate load at url and returns its metrics.
func attack(url string, body []byte, pool *x509.CertPool, rate int, duration time.Duration) (*vegeta.Metrics, error) {
	targeter := vegeta.NewStaticTargeter(vegeta.Target{
		Method: http.MethodPost, URL: url, Body: body,
		Header: http.Header{"Content-Type": []string{"application/json"}},
	})
	attacker := vegeta.NewAttacker(vegeta.TLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), vegeta.Timeout(5*time.Second))
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, duration, url) {
		m.Add(res)
	}
	m.Close()
	return &m, nil
}

func waitServing(port int, pool *x509.CertPool) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		if err == nil {
			return conn.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the webhook server did not start")
}
