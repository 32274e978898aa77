package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// Webhook is `pullthrough webhook` running as a process on the address and
// certificate that a cluster's webhook configurations trust (Options.WebhookConfigs).
type Webhook struct {
	// MetricsURL is its /metrics.
	MetricsURL string
	cmd        *exec.Cmd
	exited     chan error
}

// StartWebhook runs bin as the webhook with config and extra flags, its output to
// logs, and returns once it is ready and the API server calls it.
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
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	w := &Webhook{MetricsURL: "http://" + metricsAddr + "/metrics", cmd: cmd, exited: make(chan error, 1)}
	go func() { w.exited <- cmd.Wait() }()
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		resp, err := http.Get("http://" + probeAddr + "/readyz")
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err == nil {
		err = WaitCalled(ctx, c)
	}
	if err != nil {
		w.Kill()
		return nil, fmt.Errorf("the webhook never became ready: %w", err)
	}
	return w, nil
}

// Pid is the webhook's process id.
func (w *Webhook) Pid() int { return w.cmd.Process.Pid }

// Stop interrupts the webhook and waits for it to exit.
func (w *Webhook) Stop() error {
	_ = w.cmd.Process.Signal(os.Interrupt)
	if err := <-w.exited; err != nil {
		return fmt.Errorf("pullthrough webhook: %w", err)
	}
	return nil
}

// Kill SIGKILLs the webhook, as an OOM kill or a node failure would, and waits.
func (w *Webhook) Kill() {
	_ = w.cmd.Process.Kill()
	<-w.exited
}

// WaitCalled probes with server-side dry-run creates until the API server
// routes pods to the webhook (it loads webhook configurations asynchronously).
func WaitCalled(ctx context.Context, c *cluster.Cluster) error {
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "probe"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}
		if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
			return false, nil
		}
		return pod.Spec.Containers[0].Image != "nginx", nil
	})
}
