package webhook

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"
)

// room is the request bytes the server holds at once
// (Limits.MaxBytesInFlight), shared by every path. A request takes its
// Content-Length before its body is read, so what waits costs a goroutine,
// not its body; the wait is first come, first served, so a small pod is not
// passed over for ever by large ones.
type room struct {
	sem *semaphore.Weighted
	max int64
}

func newRoom(max int64) *room {
	return &room{sem: semaphore.NewWeighted(max), max: max}
}

// take waits, at most until deadline, for room for r's body and returns the
// function that gives it back. A body of unknown length (chunked) or over
// maxReviewBytes takes maxReviewBytes, the most readReview reads (and it
// refuses a longer one).
func (b *room) take(r *http.Request, deadline time.Time) (release func(), err error) {
	n := r.ContentLength
	if n < 0 || n > maxReviewBytes {
		n = maxReviewBytes
	}
	n = min(n, b.max) // the largest body still fits when nothing else is in flight
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("no room for a body of %d bytes within the limit of %d request bytes in flight: %w", n, b.max, err)
	}
	return func() { b.sem.Release(n) }, nil
}
