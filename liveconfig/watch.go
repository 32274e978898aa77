package liveconfig

import (
	"bytes"
	"context"
	"errors"
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

// errNoFile: a Live made by New has no file to watch.
var errNoFile = errors.New("watch config: the config in force was not loaded from a file")

// Watcher reloads the config file of a Live when it changes on disk. It
// watches the directory, not the file, because a ConfigMap mount replaces
// the file by swapping a symlink, which a watch on the file itself would miss.
type Watcher struct {
	live    *Live
	metrics *Metrics
	log     logr.Logger
	loaded  []byte // content of the config in force, to skip no-op events
	failed  bool   // the last reload was rejected
}

// NewWatcher watches the file live was loaded from, counting each reload in
// m and logging rejected configs and reloads to log.
func NewWatcher(live *Live, m *Metrics, log logr.Logger) *Watcher {
	return &Watcher{live: live, metrics: m, log: log, loaded: live.loaded}
}

// Start watches until ctx ends; it satisfies controller-runtime's Runnable.
func (w *Watcher) Start(ctx context.Context) error {
	path := w.live.path
	if path == "" {
		return errNoFile
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch config: %w", err)
	}
	defer func() {
		if err := fw.Close(); err != nil {
			w.log.Error(err, "closing the config watch", "path", path)
		}
	}()
	if err := fw.Add(filepath.Dir(path)); err != nil {
		return fmt.Errorf("watch config directory %s: %w", filepath.Dir(path), err)
	}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-fw.Events:
			timer = time.After(settle)
		case err := <-fw.Errors:
			w.log.Error(err, "config watch error; reloading to be safe", "path", path)
			timer = time.After(settle)
		case <-timer:
			w.reload()
		}
	}
}

// reload reads the file and, if it changed and is valid and accepted, puts
// it in force. An invalid or refused config is logged and counted and the
// previous one keeps serving; a file that is briefly missing mid-swap counts
// as invalid. A rollback to the config in force after a rejected one is a
// successful reload: it clears pullthrough_config_last_reload_successful's
// alarm.
func (w *Watcher) reload() {
	path := w.live.path
	cfg, data, err := config.Read(path)
	if data != nil && bytes.Equal(data, w.loaded) {
		if w.failed {
			w.failed = false
			w.metrics.observe(nil)
			w.log.Info("config on disk is the one in force again", "path", path)
		}
		return
	}
	if err == nil {
		err = w.live.put(cfg)
	}
	w.metrics.observe(err)
	w.failed = err != nil
	if err != nil {
		w.log.Error(err, "config rejected; the previous config keeps serving", "path", path)
		return
	}
	w.loaded = data
	w.log.Info("config reloaded", "path", path)
}
