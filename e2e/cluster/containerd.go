package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultSandboxImage is the pause image the node's containerd runs every pod's
// sandbox from, pinned as containerd pins it: the kubelet never pulls it, so a
// webhook cannot rewrite it; only the node's registry host files can send it
// through a proxy.
const DefaultSandboxImage = "registry.k8s.io/pause:3.10.1"

// containerdConfig is what a node's containerd is started with.
type containerdConfig struct {
	dir     string // root, state, socket and this config under it
	bin     string // the node assets directory: containerd, the shim, runc, cni/
	sandbox string
	// configPath is the CRI registry config_path; nil leaves it unset
	// (containerd's default, /etc/containerd/certs.d:/etc/docker/certs.d).
	configPath *string
}

func (c containerdConfig) socket() string { return filepath.Join(c.dir, "containerd.sock") }
func (c containerdConfig) file() string   { return filepath.Join(c.dir, "config.toml") }

// toml renders containerd 2.x's configuration (version 3). It keeps the CRI's
// default pull path, the transfer service, and meets this machine's facts: no
// CAP_SYS_RESOURCE (restrict_oom_score_adj), cgroupfs, only loopback (the one CNI
// network is a loopback, used by no pod: every e2e pod is host-network). Every
// value is a path this package made or an image reference, so %q quoting is safe.
func (c containerdConfig) toml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version = 3\nroot = %q\nstate = %q\n", filepath.Join(c.dir, "root"), filepath.Join(c.dir, "state"))
	fmt.Fprintf(&b, "[grpc]\n  address = %q\n", c.socket())
	fmt.Fprintf(&b, "[ttrpc]\n  address = %q\n", c.socket()+".ttrpc")
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'overlayfs'\n")
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = %q\n", c.sandbox)
	if c.configPath != nil {
		fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = %q\n", *c.configPath)
	}
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.runtime']\n  restrict_oom_score_adj = true\n")
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = [%q]\n  conf_dir = %q\n",
		filepath.Join(c.bin, "cni"), filepath.Join(c.dir, "net.d"))
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]\n  runtime_type = 'io.containerd.runc.v2'\n")
	fmt.Fprintf(&b, "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  BinaryName = %q\n  SystemdCgroup = false\n",
		filepath.Join(c.bin, "runc"))
	// The streaming server (exec, attach) on a free loopback port, not 10010.
	fmt.Fprintf(&b, "[plugins.'io.containerd.grpc.v1.cri']\n  stream_server_address = '127.0.0.1'\n  stream_server_port = '0'\n")
	// NRI would listen on a fixed host path that two nodes would share.
	fmt.Fprintf(&b, "[plugins.'io.containerd.nri.v1.nri']\n  disable = true\n")
	return b.String()
}

// loopbackNetwork is the node's one CNI network: a loopback, so that the CRI
// reports its network ready without a bridge into a private range.
const loopbackNetwork = `{"cniVersion": "1.0.0", "name": "e2e-loopback", "plugins": [{"type": "loopback"}]}`

// startContainerd writes c's configuration and runs containerd with env (the
// world's HTTPS_PROXY, SSL_CERT_FILE) until its socket answers.
func startContainerd(c containerdConfig, env []string, out io.Writer) (*Process, error) {
	if err := os.MkdirAll(filepath.Join(c.dir, "net.d"), 0o755); err != nil {
		return nil, fmt.Errorf("containerd's directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, "net.d", "10-loopback.conflist"), []byte(loopbackNetwork), 0o644); err != nil {
		return nil, fmt.Errorf("the node's CNI network: %w", err)
	}
	if err := os.WriteFile(c.file(), []byte(c.toml()), 0o644); err != nil {
		return nil, fmt.Errorf("containerd's configuration: %w", err)
	}
	cmd := exec.Command(filepath.Join(c.bin, "containerd"), "--config", c.file(), "--log-level", "info")
	// The shim is found on PATH, runc by the runtime's BinaryName.
	cmd.Env = append(append(os.Environ(), "PATH="+c.bin+string(os.PathListSeparator)+os.Getenv("PATH")), env...)
	cmd.Stdout, cmd.Stderr = out, out
	return StartProcess("containerd", cmd, func(ctx context.Context) bool {
		d := net.Dialer{Timeout: time.Second}
		conn, err := d.DialContext(ctx, "unix", c.socket())
		if err != nil {
			return false
		}
		_ = conn.Close()
		return true
	})
}
