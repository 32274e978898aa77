package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// Local is one ordinary Distribution registry on 127.0.0.1 over plain HTTP,
// with no auth: a place to push to, as `make image` and `make chart-push` do
// in the release tests. Stop it when done.
type Local struct {
	// Addr is host:port.
	Addr   string
	dir    string
	server *server
}

// StartLocal runs a Local registry; out receives its log (nil discards it).
// On error nothing is left running.
func StartLocal(out io.Writer) (*Local, error) {
	if out == nil {
		out = io.Discard
	}
	bin, err := cluster.RegistryBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pullthrough-registry-")
	if err != nil {
		return nil, fmt.Errorf("creating the registry's directory: %w", err)
	}
	l := &Local{dir: dir}
	if l.Addr, err = freeAddr(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	client := &http.Client{Timeout: 5 * time.Second}
	cfg := serverConfig{addr: l.Addr, storage: filepath.Join(dir, "storage")}
	if l.server, err = newServer("local", bin, dir, cfg, client, out); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := l.server.start(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return l, nil
}

// StartLocalForTest starts a Local registry for t and stops it in t.Cleanup.
func StartLocalForTest(t testing.TB) *Local {
	t.Helper()
	l, err := StartLocal(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// Stop ends the registry and removes its storage.
func (l *Local) Stop() error {
	return errors.Join(l.server.stop(), os.RemoveAll(l.dir))
}
