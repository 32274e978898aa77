//go:build faults

package faults

import (
	"bufio"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
)

// admissionCounters reads the API server's own view of the webhooks from its
// /metrics: requests it let through because a webhook failed
// (apiserver_admission_webhook_fail_open_count) and requests a webhook
// rejected or that failed closed (apiserver_admission_webhook_rejection_count),
// each summed over pullthrough's webhooks.
func admissionCounters(t *testing.T, cs kubernetes.Interface) (failOpen, rejected float64) {
	t.Helper()
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("scrape the API server's /metrics: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `pullthrough.dev"`) {
			continue
		}
		name, value, ok := sample(line)
		if !ok {
			continue
		}
		switch name {
		case "apiserver_admission_webhook_fail_open_count":
			failOpen += value
		case "apiserver_admission_webhook_rejection_count":
			rejected += value
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return failOpen, rejected
}

// sample splits one Prometheus text line into metric name and value.
func sample(line string) (name string, value float64, ok bool) {
	brace, space := strings.IndexByte(line, '{'), strings.LastIndexByte(line, ' ')
	if brace < 0 || space < brace {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[space+1:], 64)
	if err != nil {
		return "", 0, false
	}
	return line[:brace], v, true
}
