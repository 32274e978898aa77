package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// TestBinarySelfSigned runs `pullthrough webhook` as the chart does in its
// default certificate mode, against a real API server: it must create the
// Secret, write the pair into its cert dir, inject the CA into both webhooks
// of the shipped configuration, serve TLS that the caBundle verifies for the
// Service's name, report ready, and exit 0 on SIGTERM.
func TestBinarySelfSigned(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	bin := BuildBinary(t)
	ctx := t.Context()
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kit.Namespace(t, adminClient(t, c), ReleaseNamespace, nil)
	shipped, err := WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, shipped); err != nil {
		t.Fatal(err)
	}

	certDir := t.TempDir()
	port := FreePort(t)
	probeAddr := "127.0.0.1:" + strconv.Itoa(FreePort(t))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "webhook", "--config", "../examples/config.yaml", "--cert-dir", certDir,
		"--port", strconv.Itoa(port), "--metrics-bind-address", "0", "--health-probe-bind-address", probeAddr,
		"--self-signed-secret", ReleaseNamespace+"/pullthrough-webhook-tls",
		"--self-signed-service", ReleaseNamespace+"/pullthrough",
		"--webhook-config", shipped.Name, "--kubeconfig", c.KubeconfigPath())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("pullthrough webhook output:\n%s", logs.String())
		}
	}()

	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		resp, err := http.Get("http://" + probeAddr + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("never ready: %v", err)
	}

	var secret corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ReleaseNamespace, Name: "pullthrough-webhook-tls"}, &secret); err != nil {
		t.Fatal(err)
	}
	ca := secret.Data["ca.crt"]
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(shipped), shipped); err != nil {
		t.Fatal(err)
	}
	for _, w := range shipped.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, ca) {
			t.Errorf("webhook %s: caBundle is not the Secret's CA", w.Name)
		}
	}
	onDisk, err := os.ReadFile(filepath.Join(certDir, "tls.crt"))
	if err != nil || !bytes.Equal(onDisk, secret.Data["tls.crt"]) {
		t.Errorf("cert dir does not hold the Secret's certificate (%v)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("the Secret's ca.crt is not PEM")
	}
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{
		RootCAs: pool, ServerName: "pullthrough." + ReleaseNamespace + ".svc", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Errorf("TLS as the API server would see it: %v", err)
	} else {
		_ = conn.Close()
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Error("did not exit within 30s of SIGTERM")
	}
}
