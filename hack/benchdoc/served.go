package main

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pullthrough/pullthrough/internal/baseline"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/webhook"
)

// servedHeading is the section servedSection writes.
const servedHeading = "## The served check"

// servedVariants are the webhook's config for today's handler (no check)
// and the check with a warm cache (every verdict known) and a cold one
// (servedTTL 1ns: every reference asked of the proxy on every request).
var servedVariants = []struct{ name, setting string }{
	{"today", "servedCheck: {enabled: false}"},
	{"warm", "servedCheck: {caBundle: %q}"},
	{"cold", "servedCheck: {caBundle: %q, servedTTL: 1ns}"},
}

// servedSection measures what the served check costs on the admission path,
// against the same handler without it in the same run (T W C, alternately),
// on the CREATE fixtures of the corpus, with a loopback TLS registry as the
// proxy that serves every reference.
func servedSection(b *strings.Builder, rounds int) error {
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
		w.Header().Set("Content-Length", "10")
	}))
	defer proxy.Close()
	tmp, err := os.MkdirTemp("", "benchdoc-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	ca := filepath.Join(tmp, "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw}), 0o600); err != nil {
		return err
	}
	base, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return err
	}
	host := strings.TrimPrefix(proxy.URL, "https://")
	text := strings.ReplaceAll(strings.Replace(string(base), servedVariants[0].setting, "", 1), "proxy.example.internal", host)
	handlers := make([]http.Handler, len(servedVariants))
	for i, v := range servedVariants {
		path := filepath.Join(tmp, v.name+".yaml")
		setting := v.setting
		if strings.Contains(setting, "%q") {
			setting = fmt.Sprintf(setting, ca)
		}
		if err := os.WriteFile(path, []byte(text+setting+"\n"), 0o600); err != nil {
			return err
		}
		live, err := liveconfig.Load(path)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		state, err := webhook.NewState(live)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
		if err != nil {
			return err
		}
		handlers[i] = webhook.Handlers(state, metrics, webhook.Limits{})[webhook.PathMutate]
	}
	fmt.Fprintf(b, "\n%s\n\n`go run ./hack/benchdoc`: the webhook with `servedCheck` against the same webhook without it (today's), measured\nalternately in the same run (%d rounds), the proxy a loopback TLS registry that serves every reference: **warm**, every\nverdict cached (a map lookup per image); **cold**, `servedTTL: 1ns`, so every rewritten reference of every request is\nasked of the proxy (one manifest HEAD each, all of a pod's at once, over a kept-alive connection).\n\n", servedHeading, rounds)
	fmt.Fprintf(b, "| fixture | today time/op | warm time/op | cold time/op | warm / today (min–max) | cold / today (min–max) |\n|---|---|---|---|---|---|\n")
	for _, c := range corpus {
		if strings.Contains(c.fixture, "update") {
			continue // no image changes: nothing to check
		}
		body, err := os.ReadFile(filepath.Join(dir, "requests", c.fixture+".json"))
		if err != nil {
			return err
		}
		ns := make([][]float64, len(servedVariants))
		for range rounds {
			for i, h := range handlers {
				r := testing.Benchmark(func(b *testing.B) { serve(b, h, body) })
				ns[i] = append(ns[i], float64(r.NsPerOp()))
			}
		}
		warm, cold := make([]float64, rounds), make([]float64, rounds)
		for r := range rounds {
			warm[r], cold[r] = ns[1][r]/ns[0][r], ns[2][r]/ns[0][r]
		}
		fmt.Fprintf(b, "| %s | %.0f µs | %.0f µs | %.0f µs | **%.2f×** (%.2f–%.2f) | **%.2f×** (%.2f–%.2f) |\n", c.fixture,
			baseline.Median(ns[0])/1e3, baseline.Median(ns[1])/1e3, baseline.Median(ns[2])/1e3,
			baseline.Median(warm), slices.Min(warm), slices.Max(warm), baseline.Median(cold), slices.Min(cold), slices.Max(cold))
	}
	return nil
}
