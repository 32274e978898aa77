//go:build faults

package faults

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// syncBuffer is a bytes.Buffer safe for the process's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// webhookProc is one `pullthrough webhook` process serving certDir on port,
// or a `pullthrough policy --watch` process (port 0).
type webhookProc struct {
	cmd       *exec.Cmd
	port      int
	probeAddr string
	logs      *syncBuffer
	exited    chan error
}

// startWebhook starts the binary on port with the e2e config and waits for
// it to report ready; it is killed when the test ends.
func startWebhook(t testing.TB, bin, certDir string, port int, extra ...string) *webhookProc {
	t.Helper()
	probeAddr := "127.0.0.1:" + strconv.Itoa(e2e.FreePort(t))
	args := append([]string{"webhook", "--config", "../testdata/config.yaml", "--cert-dir", certDir,
		"--port", strconv.Itoa(port), "--metrics-bind-address", "0", "--health-probe-bind-address", probeAddr}, extra...)
	return startProcess(t, bin, args, port, probeAddr)
}

// startPolicyEngine starts `pullthrough policy --apply --watch` with the
// e2e config against the cluster of kubeconfig and waits until it reports
// the policies applied; it is killed when the test ends.
func startPolicyEngine(t testing.TB, bin, kubeconfig string) *webhookProc {
	t.Helper()
	probeAddr := "127.0.0.1:" + strconv.Itoa(e2e.FreePort(t))
	args := []string{"policy", "--config", "../testdata/config.yaml", "--apply", "--watch", "--kubeconfig", kubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", probeAddr}
	return startProcess(t, bin, args, 0, probeAddr)
}

// startProcess runs the binary with args, waits for /readyz on probeAddr,
// and kills it when the test ends.
func startProcess(t testing.TB, bin string, args []string, port int, probeAddr string) *webhookProc {
	t.Helper()
	p := &webhookProc{port: port, probeAddr: probeAddr, logs: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT) // a stopped process cannot die
		_ = p.cmd.Process.Kill()
		err := <-p.exited // killed here, or exited before: gone either way
		p.exited <- err   // for a wait still to come
		if t.Failed() {
			t.Logf("pullthrough %s:\n%s", args[0], p.logs.String())
		}
	})
	p.waitReady(t)
	return p
}

// ready reports whether the process's /readyz answers 200.
func (p *webhookProc) ready(ctx context.Context) bool {
	return cluster.Answers(ctx, http.DefaultClient, "http://"+p.probeAddr+"/readyz", func(status int) bool { return status == http.StatusOK })
}

func (p *webhookProc) waitReady(t testing.TB) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		return p.ready(ctx), nil
	})
	if err != nil {
		t.Fatalf("process (webhook port %d) never ready: %v\n%s", p.port, err, p.logs.String())
	}
}

// signal sends sig to the process.
func (p *webhookProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Errorf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its error.
func (p *webhookProc) wait() error {
	err := <-p.exited
	p.exited <- err // for the cleanup
	return err
}
