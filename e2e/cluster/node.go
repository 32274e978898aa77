package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// nodeReadyTimeout bounds the wait for a started kubelet's Node to be Ready.
const nodeReadyTimeout = 2 * time.Minute

// NodeOptions configure the node a cluster runs: containerd with its CRI, the
// kubelet and kube-scheduler, on this machine, on loopback.
type NodeOptions struct {
	// Env is added to containerd's environment: the world a test plays
	// (HTTPS_PROXY of package e2e/registry's world, SSL_CERT_FILE trusting its CA).
	Env []string
	// SandboxImage is the pause image; "" is DefaultSandboxImage.
	SandboxImage string
}

// Node is the running node: one containerd, one kubelet, registered as Name.
type Node struct {
	// Name is the Node object's name.
	Name       string
	dir        string
	assets     string // containerd, the shim, runc, cni/
	kubeletBin string
	kubeconfig string
	opts       NodeOptions
	out        io.Writer
	containerd *Process
	containerdConfig
	kubelet   *Process
	scheduler *Process
}

// HostsDir is the directory the node's containerd reads registry host files from
// (its config_path, one directory): where a test writes `pullthrough nodeconfig`'s
// files, as the node agent does.
func (n *Node) HostsDir() string { return filepath.Join(n.dir, "certs.d") }

// ContainerdConfig is the path of the configuration containerd runs with, for
// `pullthrough nodeconfig --check --containerd-config`.
func (n *Node) ContainerdConfig() string { return n.file() }

// RestartContainerd restarts containerd with config_path set to configPath (nil:
// unset, containerd's default), keeping its image store; the kubelet reconnects.
func (n *Node) RestartContainerd(configPath *string) error {
	if err := n.containerd.Stop(); err != nil {
		return err
	}
	n.configPath = configPath
	p, err := startContainerd(n.containerdConfig, n.opts.Env, n.out)
	if err != nil {
		return err
	}
	n.containerd = p
	return nil
}

// startNode runs containerd, the kubelet and the scheduler, and waits until the
// Node is Ready.
func startNode(ctx context.Context, c client.Client, k8sAssets, kubeconfig, dir string, opts NodeOptions, out io.Writer) (*Node, error) {
	assets, err := NodeAssetsDir()
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return nil, fmt.Errorf("naming the node: %w", err)
	}
	if opts.SandboxImage == "" {
		opts.SandboxImage = DefaultSandboxImage
	}
	n := &Node{
		Name: "e2e-node-" + hex.EncodeToString(suffix), dir: filepath.Join(dir, "node"), assets: assets,
		kubeletBin: filepath.Join(k8sAssets, "kubelet"), kubeconfig: kubeconfig, opts: opts, out: out,
	}
	hosts := n.HostsDir()
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		return nil, fmt.Errorf("the node's hosts directory: %w", err)
	}
	n.containerdConfig = containerdConfig{dir: filepath.Join(n.dir, "containerd"), bin: assets, sandbox: opts.SandboxImage, configPath: &hosts}
	if n.containerd, err = startContainerd(n.containerdConfig, opts.Env, out); err != nil {
		return n, err
	}
	if n.kubelet, err = startKubelet(n.kubeletBin, kubeconfig, filepath.Join(n.dir, "kubelet"), n.Name, n.socket(), out); err != nil {
		return n, err
	}
	if n.scheduler, err = startScheduler(filepath.Join(k8sAssets, "kube-scheduler"), kubeconfig, out); err != nil {
		return n, err
	}
	return n, waitNodeReady(ctx, c, n.Name)
}

// waitNodeReady polls the Node until its Ready condition is True and the
// not-ready taint the API server adds at registration is gone.
func waitNodeReady(ctx context.Context, c client.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, nodeReadyTimeout)
	defer cancel()
	last := "not registered"
	for {
		var node corev1.Node
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &node); err == nil {
			last = nodeState(&node)
			if last == "" {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not Ready within %s: %s (the kubelet's and containerd's output have the reason)", name, nodeReadyTimeout, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// nodeState is "" for a Ready, untainted node, else what is missing.
func nodeState(node *corev1.Node) string {
	for _, cond := range node.Status.Conditions {
		switch {
		case cond.Type != corev1.NodeReady:
		case cond.Status != corev1.ConditionTrue:
			return fmt.Sprintf("Ready=%s: %s", cond.Status, cond.Message)
		case len(node.Spec.Taints) > 0:
			return fmt.Sprintf("tainted %s", node.Spec.Taints[0].Key)
		default:
			return ""
		}
	}
	return "no Ready condition yet"
}

// stop stops the scheduler and the kubelet, kills what containerd's shims run
// (they outlive containerd by design), stops containerd and undoes the mounts
// under the node's directory, so that removing it afterwards succeeds.
func (n *Node) stop() error {
	var errs []error
	for _, p := range []*Process{n.scheduler, n.kubelet} {
		if p != nil {
			errs = append(errs, p.Stop())
		}
	}
	errs = append(errs, killShims(n.socket()))
	if n.containerd != nil {
		errs = append(errs, n.containerd.Stop())
	}
	errs = append(errs, unmountUnder(n.dir))
	return errors.Join(errs...)
}

// killShims SIGKILLs every containerd-shim-runc-v2 serving the containerd at
// socket, and the containers (its children: a shim is their subreaper).
func killShims(socket string) error {
	procs, err := readProcs()
	if err != nil {
		return err
	}
	var shims []int
	for pid, p := range procs {
		if strings.Contains(p.cmdline, "containerd-shim-runc-v2") && strings.Contains(p.cmdline, socket) {
			shims = append(shims, pid)
		}
	}
	for pid, p := range procs {
		if slices.Contains(shims, p.ppid) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // gone already is fine
		}
	}
	for _, pid := range shims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

type procInfo struct {
	ppid    int
	cmdline string
}

// readProcs reads every process's parent and command line from /proc.
func readProcs() (map[int]procInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	procs := map[int]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err1 := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		cmdline, err2 := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err1 != nil || err2 != nil {
			continue // exited meanwhile
		}
		// stat: "pid (comm) state ppid ...": comm may hold spaces, so cut at its last ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		procs[pid] = procInfo{ppid: ppid, cmdline: strings.ReplaceAll(string(cmdline), "\x00", " ")}
	}
	return procs, nil
}

// unmountUnder detaches every mount point under dir, deepest first.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("reading mounts: %w", err)
	}
	defer f.Close()
	var points []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
