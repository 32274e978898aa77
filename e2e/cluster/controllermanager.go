package cluster

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// nodeControllers are added when a real node runs: the node lifecycle controller
// lifts the not-ready taint the API server puts on a new Node once it is Ready.
var nodeControllers = []string{"node-lifecycle-controller"}

// startControllerManager runs kube-controller-manager against the kubeconfig, with the
// node controllers when withNode, and waits until its /healthz answers 200 OK.
func startControllerManager(bin, kubeconfig, dir string, withNode bool, out io.Writer) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	run := controllers
	if withNode {
		run = append(slices.Clone(controllers), nodeControllers...)
	}
	cmd := exec.Command(bin,
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(run, ","),
		"--leader-elect=false",
		// Serving only for /healthz, which the default --authorization-always-allow-paths
		// lets through without delegated authentication.
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(dir, "kube-controller-manager"),
	)
	cmd.Stdout, cmd.Stderr = out, out
	return startServing("kube-controller-manager", cmd, port)
}

// startServing starts a Kubernetes component that serves /healthz over TLS on
// 127.0.0.1:port and waits until it answers 200 OK.
func startServing(name string, cmd *exec.Cmd, port int) (*Process, error) {
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/healthz"
	// The certificate is self-signed by the child we just started on loopback: there is
	// nothing to verify it against and no one else to talk to.
	httpClient := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // see above
	}
	defer httpClient.CloseIdleConnections()
	return StartProcess(name, cmd, func(ctx context.Context) bool {
		return Answers(ctx, httpClient, url, func(status int) bool { return status == http.StatusOK })
	})
}
