//go:build faults

package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// reloadConfigs are two valid configs that route both of the stream's
// images differently, and an invalid one (an unknown field), which must
// never be served: each created pod must carry one whole valid config's
// routes, never a mix, never the invalid one's. The targets are example
// hosts, so the served check is off.
var reloadConfigs = []struct{ name, text string }{
	{"a", "mirrors:\n  - {source: docker.io, target: proxy.example.internal/hub-a}\n  - {source: ghcr.io, target: proxy.example.internal/ghcr-a}\nservedCheck: {enabled: false}\n"},
	{"b", "mirrors:\n  - {source: docker.io, target: proxy.example.internal/hub-b}\n  - {source: ghcr.io, target: proxy.example.internal/ghcr-b}\nservedCheck: {enabled: false}\n"},
	{"invalid", "mirrors:\n  - {source: docker.io, target: proxy.example.internal/hub-bad}\n  - {source: ghcr.io, target: proxy.example.internal/ghcr-bad}\nunknownField: true\n"},
}

// reloadRoutes is what each valid config makes of the stream's two images.
var reloadRoutes = map[[2]string]string{
	{"proxy.example.internal/hub-a/library/nginx:1.27", "proxy.example.internal/ghcr-a/acme/app:1"}: "a",
	{"proxy.example.internal/hub-b/library/nginx:1.27", "proxy.example.internal/ghcr-b/acme/app:1"}: "b",
}

// writeConfig replaces the config file atomically (a rename, as a
// ConfigMap update swaps its ..data symlink).
func writeConfig(t *testing.T, dir, text string) {
	t.Helper()
	tmp := filepath.Join(dir, ".config.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(dir, "config.yaml")); err != nil {
		t.Error(err)
	}
}

// reload: the config file is swapped among a, b and the invalid one every
// 300ms (the watcher waits 200ms for writes to settle, so faster swaps
// would never be read) while pods are created; every pod matches exactly
// one of a or b.
func (s *suite) reload(t *testing.T) {
	s.namespace(t, "reload")
	dir := t.TempDir()
	writeConfig(t, dir, reloadConfigs[0].text)
	startWebhook(t, s.bin, s.certDir, s.port, "--config", filepath.Join(dir, "config.yaml"))
	s.waitRewrittenTo(t, "reload", "proxy.example.internal/hub-a/library/nginx:1.27")
	var seen [2]atomic.Int64
	st := &stream{cs: s.cs, ns: "reload", rate: s.rate, duration: s.d,
		containers: []corev1.Container{{Name: "app", Image: streamImage}, {Name: "side", Image: "ghcr.io/acme/app:1"}},
		check: func(spec corev1.PodSpec) error {
			pair := [2]string{spec.Containers[0].Image, spec.Containers[1].Image}
			switch reloadRoutes[pair] {
			case "a":
				seen[0].Add(1)
			case "b":
				seen[1].Add(1)
			default:
				return fmt.Errorf("images %v match no single valid config", pair)
			}
			return nil
		}}
	swaps := 0
	f := s.measureStream(t, st, "config hot reload (a, b, invalid; every 300ms)", func(d time.Duration) {
		for end := time.Now().Add(d - time.Second); time.Now().Before(end); swaps++ {
			writeConfig(t, dir, reloadConfigs[swaps%len(reloadConfigs)].text)
			time.Sleep(300 * time.Millisecond)
		}
	})
	noneLost(t, f, st)
	if n := st.mismatched.Load(); n != 0 || f.unchanged != 0 {
		t.Errorf("%d pods match no single valid config, %d unchanged: %s", n, f.unchanged, st.firstErrors())
	}
	if seen[0].Load() == 0 || seen[1].Load() == 0 {
		t.Errorf("pods per config: a %d, b %d; want both served", seen[0].Load(), seen[1].Load())
	}
	f.note = fmt.Sprintf("%d swaps; pods routed by a: %d, by b: %d, mixed or invalid: %d", swaps, seen[0].Load(), seen[1].Load(), st.mismatched.Load())
	s.record(f)
}
