package nodeconfig

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newAgent(t *testing.T) (*Agent, string) {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry(), "node-a", true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &Agent{ConfigPath: filepath.Join(dir, "config.yaml"), Dir: filepath.Join(dir, "certs.d"), Metrics: m, Log: logr.Discard()}, dir
}

// registries lists the directories of dir that hold a hosts.toml.
func registries(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*", fileName))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	return out
}

// TestAgentSteps follows the agent through config changes on disk: the
// files follow the mirrors, a foreign file survives everything, a broken
// config changes nothing, and the cleanup mode removes only owned files.
func TestAgentSteps(t *testing.T) {
	t.Parallel()
	a, _ := newAgent(t)
	writeFile(t, filepath.Join(a.Dir, "registry.local", fileName), "server = \"https://registry.local\"\n")
	steps := []struct {
		name   string
		config string // written before the step; empty: delete the file
		want   []string
		ok     bool
	}{
		{"create", "mirrors: [{source: quay.io, target: proxy.internal/quay}, {source: ghcr.io, target: proxy.internal/ghcr}]",
			[]string{"ghcr.io", "quay.io", "registry.local"}, true},
		{"add docker hub", "mirrors: [{source: quay.io, target: proxy.internal/quay}, {source: ghcr.io, target: proxy.internal/ghcr}, {source: docker.io, target: proxy.internal/hub}]",
			[]string{"docker.io", "ghcr.io", "index.docker.io", "quay.io", "registry-1.docker.io", "registry.hub.docker.com", "registry.local"}, true},
		{"remove two mirrors", "mirrors: [{source: quay.io, target: proxy.internal/q2}]",
			[]string{"quay.io", "registry.local"}, true},
		{"invalid config keeps the files", "mirrors: [{source: quay.io, targte: x}]",
			[]string{"quay.io", "registry.local"}, false},
		{"missing config keeps the files", "",
			[]string{"quay.io", "registry.local"}, false},
	}
	for _, s := range steps {
		if s.config == "" {
			if err := os.Remove(a.ConfigPath); err != nil {
				t.Fatal(err)
			}
		} else {
			writeFile(t, a.ConfigPath, s.config)
		}
		err := a.syncOnce()
		if (err == nil) != s.ok {
			t.Errorf("%s: error %v, want ok=%v", s.name, err, s.ok)
		}
		if got := registries(t, a.Dir); !slices.Equal(got, s.want) {
			t.Errorf("%s: files for %q, want %q", s.name, got, s.want)
		}
		if got := testutil.ToFloat64(a.Metrics.lastOK); (got == 1) != s.ok {
			t.Errorf("%s: last_sync_successful = %v", s.name, got)
		}
	}
	if got := readFile(t, filepath.Join(a.Dir, "quay.io", fileName)); !owned([]byte(got)) || !strings.Contains(got, "/v2/q2") {
		t.Errorf("quay.io was not updated to the new target:\n%s", got)
	}
	// ghcr.io and quay.io; docker.io and its 3 aliases; quay.io again for its new target.
	if got := testutil.ToFloat64(a.Metrics.written); got != 2+4+1 {
		t.Errorf("files_written_total = %v, want 7", got)
	}
	if got := testutil.ToFloat64(a.Metrics.removed); got != 5 {
		t.Errorf("files_removed_total = %v, want 5", got)
	}
	if got := testutil.ToFloat64(a.Metrics.syncs.WithLabelValues(resultError)); got != 2 {
		t.Errorf("syncs_total{result=error} = %v, want 2", got)
	}

	a.Cleanup = true
	if err := a.syncOnce(); err != nil {
		t.Fatal(err)
	}
	if got := registries(t, a.Dir); !slices.Equal(got, []string{"registry.local"}) {
		t.Errorf("after cleanup: files for %q", got)
	}
	if testutil.ToFloat64(a.Metrics.lastSuccess) == 0 {
		t.Error("last_sync_success_timestamp_seconds was never set")
	}
}

// TestAgentRun checks that Run syncs before its first tick and returns when
// its context ends.
func TestAgentRun(t *testing.T) {
	t.Parallel()
	a, _ := newAgent(t)
	writeFile(t, a.ConfigPath, "mirrors: [{source: quay.io, target: proxy.internal/quay}]")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := registries(t, a.Dir); !slices.Equal(got, []string{"quay.io"}) {
		t.Errorf("files for %q after one run", got)
	}
}

// TestAgentContainerd follows the containerd gauge: 0 while the node's
// containerd would ignore the files (a colon-separated config_path under the
// transfer service), 1 once a drop-in sets the one directory.
func TestAgentContainerd(t *testing.T) {
	t.Parallel()
	a, dir := newAgent(t)
	writeFile(t, a.ConfigPath, "mirrors: [{source: docker.io, target: proxy.internal/hub}]")
	a.Containerd = filepath.Join(dir, "containerd", "config.toml")
	a.ContainerdVersion = NewestContainerd
	writeFile(t, a.Containerd, "version = 3\nimports = ['conf.d/*.toml']\n[plugins.'io.containerd.cri.v1.images'.registry]\nconfig_path = '"+a.Dir+":/etc/docker/certs.d'\n")
	if err := a.syncOnce(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(a.Metrics.reads); got != 0 {
		t.Errorf("with a colon-separated config_path: gauge %v; want 0", got)
	}
	writeFile(t, filepath.Join(dir, "containerd", "conf.d", "50-pullthrough.toml"), "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\nconfig_path = '"+a.Dir+"'\n")
	if err := a.syncOnce(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(a.Metrics.reads); got != 1 {
		t.Errorf("with the drop-in: gauge %v; want 1", got)
	}
}
