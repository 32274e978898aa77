package kit

import (
	"slices"
	"sync"
)

// Warnings records the warnings the API server sends a client (set it as the
// rest.Config's WarningHandler), for tests that assert what a user is told.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader records one warning; it satisfies rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// List returns the warnings recorded so far.
func (w *Warnings) List() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}

// Take returns the warnings recorded since the last Take and forgets them,
// for a client that makes one request after another and asks about each.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}
