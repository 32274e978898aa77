package liveconfig

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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/util/wait"
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

func TestWatcherReload(t *testing.T) {
	t.Parallel()
	cm := newConfigMapDir(t, configFor("proxy-a.example/hub"))
	live, err := Load(cm.path())
	if err != nil {
		t.Fatal(err)
	}
	// A Follower derives its own value, as the webhook's rewriters, and
	// another refuses, as the policy engine refuses what its CEL cannot
	// express: the derived value must move only with the config in force.
	derived := live.Current().Config.Mirrors[0].Target
	live.Follow(func(s *Snapshot) (func(), error) {
		target := s.Config.Mirrors[0].Target
		return func() { derived = target }, nil
	})
	live.Follow(func(s *Snapshot) (func(), error) {
		if strings.HasPrefix(s.Config.Mirrors[0].Target, "refused.") {
			return nil, errors.New("refused by the check")
		}
		return nil, nil
	})
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(live, m, logr.Discard())
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
		{"valid but refused by a Follower keeps the old", configFor("refused.example/hub"), "proxy-c.example/hub/library/nginx", 2, 3, 0},
		// The usual rollback: the bytes in force come back; the alarm clears.
		{"rolled back to the config in force", configFor("proxy-c.example/hub"), "proxy-c.example/hub/library/nginx", 3, 3, 1},
	}
	for _, s := range steps {
		cm.write(s.content)
		// File events arrive asynchronously.
		if err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
			return testutil.ToFloat64(m.reloads.WithLabelValues(reloadSuccess)) == s.successes &&
				testutil.ToFloat64(m.reloads.WithLabelValues(reloadError)) == s.errors, nil
		}); err != nil {
			t.Fatalf("%s: the reload was not counted: %v", s.name, err)
		}
		if got := live.Current().Rewriter.Rewrite("nginx").Image; got != s.serving {
			t.Errorf("%s: serving %q, want %q", s.name, got, s.serving)
		}
		if want := strings.TrimSuffix(s.serving, "/library/nginx"); derived != want || live.Config().Mirrors[0].Target != want {
			t.Errorf("%s: derived %q, config %q, want both %q", s.name, derived, live.Config().Mirrors[0].Target, want)
		}
		if got := testutil.ToFloat64(m.lastOK); got != s.lastOK {
			t.Errorf("%s: last_reload_successful = %v, want %v", s.name, got, s.lastOK)
		}
	}
}

func TestWatcherNeedsAFile(t *testing.T) {
	t.Parallel()
	cm := newConfigMapDir(t, configFor("proxy-a.example/hub"))
	loaded, err := Load(cm.path())
	if err != nil {
		t.Fatal(err)
	}
	live, err := New(loaded.Config())
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := NewWatcher(live, m, logr.Discard()).Start(context.Background()); !errors.Is(err, errNoFile) {
		t.Errorf("Start on a Live made by New: %v, want %v", err, errNoFile)
	}
}

func TestLoadNamesTheProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content, want string }{
		{"invalid target", "mirrors: [{source: docker.io, target: not-a-host}]\n", "mirrors[0].target"},
		{"unknown field", "mirror: []\n", "mirror"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cm := newConfigMapDir(t, tc.content)
			if _, err := Load(cm.path()); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), cm.path()) {
				t.Errorf("Load: %v, want an error naming %s and %q", err, cm.path(), tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load of a missing file: no error")
	}
}
