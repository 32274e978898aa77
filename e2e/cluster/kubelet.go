package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// cgroupV2 reports whether the machine mounts the unified cgroup v2 hierarchy at
// /sys/fs/cgroup (cgroup.controllers exists only there), else v1 is assumed.
func cgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// kubeletConfig is the KubeletConfiguration of a node: loopback only, no
// authentication (the API server talks to it only for logs and exec in tests),
// cgroupfs without QoS or node-allocatable cgroups (the machine may lack the
// rights to create them), and eviction and image GC thresholds that a busy CI
// disk cannot trip. On cgroup v1, failCgroupV1 false lets it start at all.
func kubeletConfig(dir, socket string, port, healthzPort int) string {
	s := "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" +
		"address: 127.0.0.1\nport: " + strconv.Itoa(port) + "\nreadOnlyPort: 0\n" +
		"healthzBindAddress: 127.0.0.1\nhealthzPort: " + strconv.Itoa(healthzPort) + "\n" +
		"authentication:\n  anonymous: {enabled: false}\n  webhook: {enabled: false}\n" +
		"authorization: {mode: AlwaysAllow}\n" +
		"containerRuntimeEndpoint: " + strconv.Quote("unix://"+socket) + "\n" +
		"cgroupDriver: cgroupfs\ncgroupsPerQOS: false\nenforceNodeAllocatable: []\n" +
		"failSwapOn: false\n" +
		"podLogsDir: " + strconv.Quote(filepath.Join(dir, "pod-logs")) + "\n" +
		"evictionHard: {memory.available: '0%', nodefs.available: '0%', nodefs.inodesFree: '0%', imagefs.available: '0%', imagefs.inodesFree: '0%'}\n" +
		"imageGCHighThresholdPercent: 100\nimageGCLowThresholdPercent: 99\n" +
		"localStorageCapacityIsolation: false\n" +
		"nodeStatusUpdateFrequency: 2s\nsyncFrequency: 5s\n"
	if !cgroupV2() {
		s += "failCgroupV1: false\n"
	}
	return s
}

// startKubelet runs the kubelet as node name against the admin kubeconfig until
// its /healthz answers.
func startKubelet(bin, kubeconfig, dir, name, socket string, out io.Writer) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	healthzPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("the kubelet's directory: %w", err)
	}
	config := filepath.Join(dir, "kubelet.yaml")
	if err := os.WriteFile(config, []byte(kubeletConfig(dir, socket, port, healthzPort)), 0o644); err != nil {
		return nil, fmt.Errorf("the kubelet's configuration: %w", err)
	}
	cmd := exec.Command(bin,
		"--config="+config,
		"--kubeconfig="+kubeconfig,
		"--root-dir="+filepath.Join(dir, "root"),
		"--cert-dir="+filepath.Join(dir, "pki"),
		"--hostname-override="+name,
		"--node-ip=127.0.0.1",
		"--v=2",
	)
	cmd.Stdout, cmd.Stderr = out, out
	httpClient := &http.Client{Timeout: time.Second}
	defer httpClient.CloseIdleConnections()
	url := "http://127.0.0.1:" + strconv.Itoa(healthzPort) + "/healthz"
	return StartProcess("kubelet", cmd, func(ctx context.Context) bool {
		return Answers(ctx, httpClient, url, func(status int) bool { return status == http.StatusOK })
	})
}

// startScheduler runs kube-scheduler until its /healthz answers.
func startScheduler(bin, kubeconfig string, out io.Writer) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"--kubeconfig="+kubeconfig,
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
	)
	cmd.Stdout, cmd.Stderr = out, out
	return startServing("kube-scheduler", cmd, port)
}
