package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Webhook is `pullthrough webhook` running as a process on the address and
// certificate that a cluster's webhook configurations trust (Options.WebhookConfigs).
type Webhook struct {
	// MetricsURL is its /metrics: https:// when extra flags had --metrics-secure.
	MetricsURL string
	*cluster.Process
}

// StartWebhook runs bin as the webhook with config and extra flags, its output to
// logs, and returns once it is ready and the API server calls it. The process
// dies with the caller.
func StartWebhook(ctx context.Context, bin, config string, c *cluster.Cluster, logs io.Writer, extra ...string) (*Webhook, error) {
	_, port, certDir := c.WebhookServing()
	metricsPort, err := cluster.FreePort()
	if err != nil {
		return nil, err
	}
	probePort, err := cluster.FreePort()
	if err != nil {
		return nil, err
	}
	metricsAddr, probeAddr := "127.0.0.1:"+strconv.Itoa(metricsPort), "127.0.0.1:"+strconv.Itoa(probePort)
	args := append([]string{"webhook", "--config", config, "--cert-dir", certDir, "--port", strconv.Itoa(port),
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	httpClient := &http.Client{Timeout: time.Second}
	defer httpClient.CloseIdleConnections()
	proc, err := cluster.StartProcess("pullthrough webhook", cmd, func(ctx context.Context) bool {
		return cluster.Answers(ctx, httpClient, "http://"+probeAddr+"/readyz", func(status int) bool { return status == http.StatusOK })
	})
	if err != nil {
		return nil, err
	}
	if err := waitCalled(ctx, c); err != nil {
		proc.Kill()
		return nil, fmt.Errorf("the API server never called the webhook: %w", err)
	}
	scheme := "http"
	if slices.Contains(extra, "--metrics-secure") {
		scheme = "https"
	}
	return &Webhook{MetricsURL: scheme + "://" + metricsAddr + "/metrics", Process: proc}, nil
}

// Metrics scrapes and parses the webhook's /metrics, for cluster.MetricSum.
func (w *Webhook) Metrics(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.MetricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", w.MetricsURL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: %s", w.MetricsURL, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", w.MetricsURL, err)
	}
	return cluster.ParseMetrics(body, w.MetricsURL)
}

// Sample returns the value of one series of the webhook's metrics, written as
// the exposition format writes it (name{label="value",...}); 0 when absent.
func (w *Webhook) Sample(ctx context.Context, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.MetricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, nil
}

// waitCalled probes with server-side dry-run creates until the API server
// routes pods to the webhook (it loads webhook configurations asynchronously):
// the probe comes back rewritten, or recorded as not served (a proxy that
// has no nginx).
func waitCalled(ctx context.Context, c *cluster.Cluster) error {
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		return err
	}
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CoreV1().Pods("default").Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && answered(got), nil
	})
}

// answered reports whether the webhook decided the probe pod (one container
// of nginx): rewritten, or left as written because the proxy does not serve
// it (a proxy that has no nginx, or none reachable within the served check's
// budget).
func answered(probe *corev1.Pod) bool {
	return probe.Spec.Containers[0].Image != "nginx" || probe.Annotations[wellknown.AnnotationNotServed] != ""
}
