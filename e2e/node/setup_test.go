package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
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
		logTail(t, logPath)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
		_ = logs.Close()
		if t.Failed() {
			logTail(t, logPath)
		}
	})
	return l
}

// logTail logs the last lines of the lab's output.
func logTail(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Log(err)
		return
	}
	const tail = 16 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	t.Logf("the lab's output, last %d bytes:\n%s", len(data), data)
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
