package cluster

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// logTail is how many lines of the control plane's output a failed test shows.
const logTail = 80

// StartForTest starts a cluster for t and stops it when t ends, so an e2e test is one
// line: it skips t under -short (these tests take seconds and need the binaries), fails
// t when the cluster cannot start (missing binaries included: build them rather than
// skip), and, when opts.Output is nil, keeps the processes' output in a file whose last
// lines are logged if t fails.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: runs etcd, kube-apiserver and kube-controller-manager; skipped under -short")
	}
	var logPath string
	if opts.Output == nil {
		logPath = filepath.Join(t.TempDir(), "control-plane.log")
		f, err := os.Create(logPath)
		if err != nil {
			t.Fatalf("control-plane log: %v", err)
		}
		t.Cleanup(func() { _ = f.Close() })
		opts.Output = f
	}
	c, err := Start(opts)
	if err != nil {
		LogTail(t, logPath)
		t.Fatalf("starting the e2e cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping the e2e cluster: %v", err)
		}
		if t.Failed() {
			LogTail(t, logPath)
		}
	})
	return c
}

// LogTail logs the last lines of the processes' output file at path, to
// explain a failure; "" logs nothing.
func LogTail(t testing.TB, path string) {
	t.Helper()
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Logf("control-plane log: %v", err)
		return
	}
	defer f.Close()
	var lines []string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
		if len(lines) > logTail {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return
	}
	t.Logf("last %d lines of the control plane's output:", len(lines))
	for _, line := range lines {
		t.Log(line)
	}
}
