package liveconfig

import (
	"sync/atomic"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Snapshot is one valid config and the Rewriter built from it once, rather
// than on every use. It is never modified after it is put in force.
type Snapshot struct {
	// Config is the config as loaded and validated.
	Config *config.Config
	// Rewriter routes images as the config says.
	Rewriter *rewrite.Rewriter
}

// newSnapshot builds the Rewriter of a validated config.
func newSnapshot(cfg *config.Config) (*Snapshot, error) {
	rw, err := cfg.Rewriter()
	if err != nil {
		return nil, err
	}
	return &Snapshot{Config: cfg, Rewriter: rw}, nil
}

// Follower derives, from a config about to be put in force, what a part of
// the process keeps beside it (the webhook's rewriters), or only checks it
// (the policy engine refuses what its CEL cannot express). An error refuses
// the config; otherwise commit, if not nil, puts the derived value in force,
// and is called only once every Follower has accepted the config.
type Follower func(*Snapshot) (commit func(), err error)

// Live is the configuration in force: read by every request, replaced by
// the Watcher.
type Live struct {
	current   atomic.Pointer[Snapshot]
	path      string // the file Load read; "" for New
	loaded    []byte // the bytes of the first config, for the Watcher
	followers []Follower
}

// Load reads and validates the config file at path (the --config flag) and
// puts it in force; an error names the file, field and value.
func Load(path string) (*Live, error) {
	cfg, data, err := config.Read(path)
	if err != nil {
		return nil, err
	}
	l, err := New(cfg)
	if err != nil {
		return nil, err
	}
	l.path, l.loaded = path, data
	return l, nil
}

// New puts a validated config in force with no file behind it: a process
// that is given its config (a benchmark, a test harness) and never reloads.
func New(cfg *config.Config) (*Live, error) {
	s, err := newSnapshot(cfg)
	if err != nil {
		return nil, err
	}
	l := &Live{}
	l.current.Store(s)
	return l, nil
}

// Current is the config in force and its Rewriter.
func (l *Live) Current() *Snapshot { return l.current.Load() }

// Config is the config in force: what a reader that needs no Rewriter asks
// (the policy engine's Applier).
func (l *Live) Config() *config.Config { return l.Current().Config }

// Follow makes f accept or refuse each new config before it is put in
// force. Call it before the Watcher starts; the config in force at that
// moment is the caller's to derive from.
func (l *Live) Follow(f Follower) { l.followers = append(l.followers, f) }

// put builds the snapshot of cfg and asks every Follower; only when all
// accept are their commits run and the snapshot swapped in. An error leaves
// everything as it was.
func (l *Live) put(cfg *config.Config) error {
	s, err := newSnapshot(cfg)
	if err != nil {
		return err
	}
	commits := make([]func(), 0, len(l.followers))
	for _, f := range l.followers {
		commit, err := f(s)
		if err != nil {
			return err
		}
		if commit != nil {
			commits = append(commits, commit)
		}
	}
	for _, c := range commits {
		c()
	}
	l.current.Store(s)
	return nil
}
