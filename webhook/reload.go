package webhook

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"

	"github.com/pullthrough/pullthrough/config"
)

// settle is how long the watcher waits after a change for the rest of it:
// a ConfigMap update swaps several symlinks and directories in a row.
const settle = 200 * time.Millisecond

// ConfigWatcher reloads the config file when it changes on disk. It watches
// the directory, not the file, because a ConfigMap mount replaces the file by
// swapping a symlink, which a watch on the file itself would miss.
type ConfigWatcher struct {
	// Path is the config file, as given to --config.
	Path string
	// State receives each valid new config.
	State *State
	// Metrics counts reloads and shows whether the last one succeeded.
	Metrics *Metrics
	// Log reports rejected configs and reloads.
	Log logr.Logger
	// Check, when set, is what a config must also pass to be put in force:
	// the policy engine rejects a config its CEL cannot express, and the
	// policies in force keep serving.
	Check  func(*config.Config) error
	loaded []byte // content of the config in force, to skip no-op events
	failed bool   // the last reload was rejected
}

// LoadInitial loads the config at startup and returns its routing and the
// file's bytes; an error is fatal to the caller, as there is no previous
// config to keep serving.
func LoadInitial(path string) (*Routing, []byte, error) {
	cfg, data, err := config.Read(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewRouting(cfg)
	return r, data, err
}

// NewConfigWatcher watches path for a State that already holds the config
// whose bytes are loaded.
func NewConfigWatcher(path string, loaded []byte, state *State, m *Metrics, log logr.Logger) *ConfigWatcher {
	return &ConfigWatcher{Path: path, State: state, Metrics: m, Log: log, loaded: loaded}
}

// Start watches until ctx ends; it satisfies controller-runtime's Runnable.
func (w *ConfigWatcher) Start(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch config: %w", err)
	}
	defer func() {
		if err := fw.Close(); err != nil {
			w.Log.Error(err, "closing the config watch", "path", w.Path)
		}
	}()
	if err := fw.Add(filepath.Dir(w.Path)); err != nil {
		return fmt.Errorf("watch config directory %s: %w", filepath.Dir(w.Path), err)
	}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-fw.Events:
			timer = time.After(settle)
		case err := <-fw.Errors:
			w.Log.Error(err, "config watch error; reloading to be safe", "path", w.Path)
			timer = time.After(settle)
		case <-timer:
			w.reload()
		}
	}
}

// reload reads the file and, if it changed and is valid, puts it in force.
// An invalid config is logged and counted and the previous one keeps
// serving; a file that is briefly missing mid-swap counts as invalid. A
// rollback to the config in force after a rejected one is a successful
// reload: it clears pullthrough_config_last_reload_successful's alarm.
func (w *ConfigWatcher) reload() {
	cfg, data, err := config.Read(w.Path)
	if data != nil && bytes.Equal(data, w.loaded) {
		if w.failed {
			w.failed = false
			w.Metrics.observeReload(nil)
			w.Log.Info("config on disk is the one in force again", "path", w.Path)
		}
		return
	}
	var r *Routing
	if err == nil {
		r, err = NewRouting(cfg)
	}
	if err == nil && w.Check != nil {
		err = w.Check(cfg)
	}
	if err == nil && cfg.SelectsByLabels() && w.State.namespaces == nil {
		// Routing it as if every namespace were unlabelled would send
		// tenants' pods to the wrong target: the old config keeps serving.
		err = errNoNamespaceWatch
	}
	w.Metrics.observeReload(err)
	w.failed = err != nil
	if err != nil {
		w.Log.Error(err, "config rejected; the previous config keeps serving", "path", w.Path)
		return
	}
	w.loaded = data
	w.State.setRouting(r)
	w.Log.Info("config reloaded", "path", w.Path)
}
