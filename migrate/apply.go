package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Apply sends the patch of every planned object of p (from Plan or
// PlanUndo), Options.BatchSize objects at a time with Options.Pause between
// batches, and returns a Report of what happened to each; p is left as it
// is. A patch whose test operations fail (the object changed since it was
// read) is recomputed from a fresh read and sent once more; a second failure
// fails the object, so a concurrent edit is never overwritten. Apply returns
// an error only when ctx ends, with the report so far: objects not reached
// stay planned. Failures are in the report's Totals.Failed.
func (m *Migrator) Apply(ctx context.Context, p *Plan) (*Report, error) {
	work := make([]*item, len(p.items))
	var planned []*item
	for i, it := range p.items {
		copied := *it // the plan's item and row stay as planned
		work[i] = &copied
		if copied.row.Status == StatusPlanned {
			planned = append(planned, &copied)
		}
	}
	report := func() *Report {
		r := newReport(p.direction.action(true), m.opts.ServerDryRun, work)
		r.Warnings = p.Report.Warnings
		r.Verified = p.Report.Verified
		return r
	}
	batches := (len(planned) + m.opts.BatchSize - 1) / m.opts.BatchSize
	for b := range batches {
		if b > 0 && m.opts.Pause > 0 {
			if err := sleep(ctx, m.opts.Pause); err != nil {
				return report(), err
			}
		}
		batch := planned[b*m.opts.BatchSize : min((b+1)*m.opts.BatchSize, len(planned))]
		for _, it := range batch {
			if err := ctx.Err(); err != nil {
				return report(), fmt.Errorf("stopped before %s %s: %w", it.row.Kind, objectName(&it.row), err)
			}
			m.patch(ctx, it, p.direction)
		}
		// Progress is best effort: a closed stderr must not stop a
		// migration between two batches; the report still says it all.
		_, _ = fmt.Fprintf(m.opts.Progress, "migrate: batch %d/%d: %s; %d/%d objects done\n",
			b+1, batches, countStatuses(batch), b*m.opts.BatchSize+len(batch), len(planned))
	}
	return report(), nil
}

// patch sends the item's planned patch. When the API server refuses it as invalid
// (422), the object is read again: if its values changed, a test operation
// failed, and the patch is recomputed and sent once more; if they did not,
// the server refused the patch itself, and the object fails with its error.
// A transient failure (see transient) is sent again, up to maxTransient
// times: the patch's test operations make that safe even when the lost
// answer was a success, since the repeat then fails its tests and the
// re-read finds nothing left to change.
func (m *Migrator) patch(ctx context.Context, it *item, d direction) {
	resource := m.client.Resource(it.gvr).Namespace(it.row.Namespace)
	opts := metav1.PatchOptions{FieldManager: fieldManager}
	if m.opts.ServerDryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	attempt, transients := 1, 0
	for {
		sent, err := json.Marshal(it.ops)
		if err != nil {
			it.fail(fmt.Errorf("encode patch: %w", err))
			return
		}
		_, err = resource.Patch(ctx, it.row.Name, types.JSONPatchType, sent, opts)
		switch {
		case err == nil:
			it.row.Status, it.ops = StatusPatched, nil
			if m.opts.ServerDryRun {
				it.row.Status = StatusDryRun
			}
			return
		case transient(ctx, err) && transients < maxTransient:
			transients++
			it.row.Retried = true
			if sleep(ctx, retryBackoff<<transients) != nil {
				it.fail(fmt.Errorf("stopped while retrying (%w)", err))
				return
			}
			continue
		case !apierrors.IsInvalid(err):
			if transients > 0 {
				err = fmt.Errorf("%d attempts: %w", transients+1, err)
			}
			it.fail(err)
			return
		}
		fresh, getErr := resource.Get(ctx, it.row.Name, metav1.GetOptions{})
		if getErr != nil {
			it.fail(fmt.Errorf("re-read after the patch was refused (%w): %w", err, getErr))
			return
		}
		m.decide(d, it, fresh)
		if it.row.Status != StatusPlanned {
			it.row.Retried = true
			return // changed since: nothing left to change, or failed to decide
		}
		again, err2 := json.Marshal(it.ops)
		switch {
		case err2 != nil:
			it.fail(fmt.Errorf("encode patch: %w", err2))
			return
		case bytes.Equal(again, sent):
			it.fail(err) // not a concurrent change: the server refused the patch itself
			return
		case attempt > 1:
			it.fail(fmt.Errorf("changed again while the patch was retried, left as it is: %w", err))
			return
		}
		it.row.Retried = true
		attempt++
	}
}

// maxTransient is how many times one patch is sent again after a transient
// failure, with retryBackoff doubling from twice its value in between.
const (
	maxTransient = 3
	retryBackoff = 100 * time.Millisecond
)

// transient reports whether a failed patch may succeed if sent again: the
// API server was busy, failed inside, timed out or lost the conflict race
// (409), or the request did not complete (a client timeout, a dropped
// connection). Never when ctx ended: the run was stopped.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if apierrors.IsConflict(err) || apierrors.IsInternalError(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false // any other answer of the API server is final
	}
	return !errors.Is(err, context.Canceled) // no answer at all: a timeout or a broken connection
}

// fieldManager names the migrator in managedFields, so that server-side
// apply users see who changed the image.
const fieldManager = "pullthrough-migrate"

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("stopped during the pause between batches: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
