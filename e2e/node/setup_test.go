package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// startLab starts a Lab for t, stops it in t.Cleanup, and keeps the processes'
// output in a file whose tail is logged if t fails.
func startLab(t *testing.T) *Lab {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: runs a control plane and a node; skipped under -short")
	}
	logPath := filepath.Join(t.TempDir(), "lab.log")
	logs, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	l, err := StartLab(t.Context(), e2e.BuildBinary(t), logs)
	if err != nil {
		_ = logs.Close()
		cluster.LogTail(t, logPath)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
		_ = logs.Close()
		if t.Failed() {
			cluster.LogTail(t, logPath)
		}
	})
	return l
}

// must fails t on err: the lab's calls return errors so that the demo can use them.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// namespace creates ns in mode, with the pull secret when withSecret.
func (l *Lab) namespace(t *testing.T, ns string, mode config.Mode, withSecret bool) {
	t.Helper()
	must(t, l.Namespace(t.Context(), ns, mode, withSecret))
}
