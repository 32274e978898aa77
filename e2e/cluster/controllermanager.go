package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// controllers are the kube-controller-manager controllers a test can rely on: the
// workload controllers that create Pods (what the webhook and the migrator act on),
// the garbage collector for owner references, and the namespace controller so that
// deleting a Namespace finishes. No serviceaccount controller: the ServiceAccount
// admission plugin is off, so Pods need no ServiceAccount object.
var controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"daemonset-controller",
	"statefulset-controller",
	"job-controller",
	"cronjob-controller",
	"garbage-collector-controller",
	"namespace-controller",
}

// stopTimeout bounds a graceful stop before the process is killed.
const stopTimeout = 20 * time.Second

// controllerManager is a running kube-controller-manager child process.
type controllerManager struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	err    error         // cmd.Wait's result, set before exited is closed
}

// startControllerManager runs kube-controller-manager against the kubeconfig and waits
// until its /healthz answers, so that a crash on a bad flag fails Start and not a later
// wait for Pods.
func startControllerManager(bin, kubeconfig, dir string, out io.Writer) (*controllerManager, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		// Serving only for /healthz, which the default --authorization-always-allow-paths
		// lets through without delegated authentication.
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(dir, "kube-controller-manager"),
	)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	kcm := &controllerManager{cmd: cmd, exited: make(chan struct{})}
	go func() {
		kcm.err = cmd.Wait()
		close(kcm.exited)
	}()
	if err := kcm.waitHealthy(port); err != nil {
		return nil, errors.Join(err, kcm.stop())
	}
	return kcm, nil
}

// waitHealthy polls https://127.0.0.1:port/healthz until it answers 200 OK.
func (kcm *controllerManager) waitHealthy(port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/healthz"
	// The certificate is self-signed by the child we just started on loopback: there is
	// nothing to verify it against and no one else to talk to.
	httpClient := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // see above
	}
	defer httpClient.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if healthy(ctx, httpClient, url) {
			return nil
		}
		select {
		case <-kcm.exited:
			return fmt.Errorf("kube-controller-manager exited before serving /healthz (Options.Output has its log): %w", kcm.err)
		case <-ctx.Done():
			return fmt.Errorf("kube-controller-manager not healthy at %s within %s", url, startTimeout)
		case <-tick.C:
		}
	}
}

// healthy reports whether GET url answers 200 OK; any failure means "not yet".
func healthy(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop asks the process to terminate, kills it after stopTimeout, and waits for it.
func (kcm *controllerManager) stop() error {
	select {
	case <-kcm.exited:
		return nil
	default:
	}
	if err := kcm.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping kube-controller-manager: %w", err)
	}
	select {
	case <-kcm.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := kcm.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing kube-controller-manager: %w", err)
	}
	<-kcm.exited
	return fmt.Errorf("kube-controller-manager ignored SIGTERM for %s and was killed", stopTimeout)
}
