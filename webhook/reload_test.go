package webhook

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pullthrough/pullthrough/config"
)

// configMapDir lays out a directory the way the kubelet mounts a ConfigMap:
// config.yaml -> ..data/config.yaml, ..data -> ..<version>; an update writes
// a new version directory and swaps the ..data symlink atomically.
type configMapDir struct {
	t       *testing.T
	dir     string
	version int
}

func newConfigMapDir(t *testing.T, content string) *configMapDir {
	d := &configMapDir{t: t, dir: t.TempDir()}
	d.write(content)
	if err := os.Symlink(filepath.Join("..data", "config.yaml"), d.path()); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *configMapDir) path() string { return filepath.Join(d.dir, "config.yaml") }

func (d *configMapDir) write(content string) {
	d.t.Helper()
	d.version++
	v := fmt.Sprintf("..v%d", d.version)
	if err := os.Mkdir(filepath.Join(d.dir, v), 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, v, "config.yaml"), []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
	tmp := filepath.Join(d.dir, "..data_tmp")
	if err := os.Symlink(v, tmp); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, "..data")); err != nil {
		d.t.Fatal(err)
	}
}

func configFor(target string) string {
	return "mirrors: [{source: docker.io, target: " + target + "}]\n"
}

func TestConfigReload(t *testing.T) {
	t.Parallel()
	cm := newConfigMapDir(t, configFor("proxy-a.example/hub"))
	f := newFixture(t, cm.path())
	_, loaded, err := LoadInitial(cm.path())
	if err != nil {
		t.Fatal(err)
	}
	w := NewConfigWatcher(cm.path(), loaded, f.state, f.metrics, logr.Discard())
	// As the policy engine's applier refuses what its CEL cannot express.
	w.Check = func(c *config.Config) error {
		if strings.HasPrefix(c.Mirrors[0].Target, "refused.") {
			return errors.New("refused by the check")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the watch begin

	steps := []struct {
		name, content, serving string
		successes, errors      float64
		lastOK                 float64
	}{
		{"valid to valid", configFor("proxy-b.example/hub"), "proxy-b.example/hub/library/nginx", 1, 0, 1},
		{"invalid keeps the old", "mirrors: [{source: docker.io, target: not-a-host}]\n", "proxy-b.example/hub/library/nginx", 1, 1, 0},
		{"valid again", configFor("proxy-c.example/hub"), "proxy-c.example/hub/library/nginx", 2, 1, 1},
		{"invalid again", "mode: sometimes\n", "proxy-c.example/hub/library/nginx", 2, 2, 0},
		{"valid but refused by Check keeps the old", configFor("refused.example/hub"), "proxy-c.example/hub/library/nginx", 2, 3, 0},
		// The process watches no namespaces (its first config had no
		// selector): routing every namespace as unlabelled would be wrong.
		{"a first namespaceSelector without a namespace watch keeps the old", configFor("proxy-c.example/hub") +
			"  - {source: docker.io, target: proxy-d.example/hub, namespaceSelector: {matchLabels: {t: a}}}\n", "proxy-c.example/hub/library/nginx", 2, 4, 0},
		// The usual rollback: the bytes in force come back; the alarm clears.
		{"rolled back to the config in force", configFor("proxy-c.example/hub"), "proxy-c.example/hub/library/nginx", 3, 4, 1},
	}
	for _, s := range steps {
		cm.write(s.content)
		eventually(t, s.name, func() bool {
			return testutil.ToFloat64(f.metrics.reloads.WithLabelValues(reloadSuccess)) == s.successes &&
				testutil.ToFloat64(f.metrics.reloads.WithLabelValues(reloadError)) == s.errors
		})
		if got := f.state.Routing().Rewriter.Rewrite("nginx").Image; got != s.serving {
			t.Errorf("%s: serving %q, want %q", s.name, got, s.serving)
		}
		if got := testutil.ToFloat64(f.metrics.lastReloadOK); got != s.lastOK {
			t.Errorf("%s: last_reload_successful = %v, want %v", s.name, got, s.lastOK)
		}
	}
}

// eventually polls cond for up to 5 s; file events arrive asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: condition not met within 5s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
