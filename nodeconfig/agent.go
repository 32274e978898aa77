package nodeconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	"github.com/pullthrough/pullthrough/config"
)

// Agent keeps a certs.d directory in step with a config file. It re-reads
// the file on every tick rather than on file events: a tick also repairs a
// file someone deleted or a directory recreated under the hostPath, and the
// kubelet takes up to a minute to update a mounted ConfigMap anyway.
type Agent struct {
	// ConfigPath is the config file, as given to --config.
	ConfigPath string
	// Dir is the certs.d directory containerd reads.
	Dir string
	// Cleanup makes the agent keep Dir free of owned files instead (the
	// uninstall mode), without reading the config.
	Cleanup bool
	// Containerd, when set, is the node's containerd configuration: each step
	// checks that its CRI reads Dir (CheckContainerd), and reports a node whose
	// containerd would ignore the files, whose pods would pull from the public
	// registries unseen.
	Containerd string
	// ContainerdVersion is the node's containerd version (CheckContainerd).
	ContainerdVersion ContainerdVersion
	// HostDir is Dir as the node sees it, what config_path must name, when the
	// agent runs in a pod that mounts it elsewhere; "" is Dir.
	HostDir string
	// Metrics records each sync.
	Metrics *Metrics
	// Log reports changes, warnings and errors.
	Log logr.Logger
	// warned is the last set of warnings logged, so each is logged once.
	warned string
	// verdict is the last containerd verdict logged, so each is logged once.
	verdict string
}

// syncOnce syncs once and records the result. An unreadable or invalid config
// changes nothing on disk: the files of the last good config keep working.
func (a *Agent) syncOnce() error {
	err := a.step()
	a.record(err)
	return err
}

func (a *Agent) step() error {
	if a.Cleanup {
		removed, err := Cleanup(a.Dir)
		a.Metrics.removed.Add(float64(len(removed)))
		a.Metrics.managed.Set(0)
		for _, p := range removed {
			a.Log.Info("removed", "file", p, "dir", a.Dir)
		}
		return err
	}
	cfg, err := config.Load(a.ConfigPath)
	if err != nil {
		return fmt.Errorf("config unchanged on disk: %w", err)
	}
	files, warnings, err := Generate(cfg)
	if err != nil {
		return fmt.Errorf("config %s: %w", a.ConfigPath, err)
	}
	a.logWarnings(warnings)
	a.checkContainerd()
	res, err := Sync(a.Dir, files)
	a.Metrics.written.Add(float64(len(res.Written)))
	a.Metrics.removed.Add(float64(len(res.Removed)))
	a.Metrics.managed.Set(float64(len(files)))
	for _, p := range res.Written {
		a.Log.Info("written", "file", p, "dir", a.Dir)
	}
	for _, p := range res.Removed {
		a.Log.Info("removed", "file", p, "dir", a.Dir)
	}
	return err
}

// logWarnings logs the warnings when they differ from the last ones logged.
func (a *Agent) logWarnings(ws []Warning) {
	a.Metrics.warnings.Set(float64(len(ws)))
	key := fmt.Sprint(ws)
	if key == a.warned {
		return
	}
	a.warned = key
	for _, w := range ws {
		a.Log.Info("rule not expressible in a host file", "field", w.Field, "value", w.Value, "reason", w.Reason)
	}
}

// checkContainerd sets the containerd gauge and logs the verdict when it changed.
func (a *Agent) checkContainerd() {
	if a.Containerd == "" {
		return
	}
	cfg, err := LoadContainerdConfig(a.Containerd)
	dir := a.HostDir
	if dir == "" {
		dir = a.Dir
	}
	if err == nil {
		err = CheckContainerd(cfg, a.ContainerdVersion, dir)
	}
	verdict := "reads"
	if err != nil {
		verdict = err.Error()
		a.Metrics.reads.Set(0)
	} else {
		a.Metrics.reads.Set(1)
	}
	if verdict == a.verdict {
		return
	}
	a.verdict = verdict
	if err != nil {
		a.Log.Error(err, "the node's containerd would ignore the host files: pods pull from the public registries", "containerdConfig", a.Containerd, "dir", dir)
		return
	}
	a.Log.Info("the node's containerd reads the host files for the CRI's pulls", "containerdConfig", a.Containerd, "files", cfg.Files, "dir", dir)
}

func (a *Agent) record(err error) {
	if err != nil {
		a.Metrics.syncs.WithLabelValues(resultError).Inc()
		a.Metrics.lastOK.Set(0)
		a.Log.Error(err, "sync failed", "dir", a.Dir, "config", a.ConfigPath)
		return
	}
	a.Metrics.syncs.WithLabelValues(resultSuccess).Inc()
	a.Metrics.lastOK.Set(1)
	a.Metrics.lastSuccess.Set(float64(time.Now().Unix()))
}

// Run syncs at once and then every interval until ctx ends. A failed sync
// is logged and counted, and retried on the next tick.
func (a *Agent) Run(ctx context.Context, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		_ = a.syncOnce() // logged and counted by syncOnce; the next tick retries
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
