package warm

import (
	"maps"
	"testing"
	"time"

	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/verdicts"
)

func TestVerdicts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const (
		ref    = "proxy.example/acme/app:1@sha256:aa"
		tag    = "proxy.example/acme/app:1"
		digest = "proxy.example/acme/app@sha256:aa"
	)
	target := Target{Reference: ref, Tag: tag, Digest: digest}
	served, refused := verdicts.Entry{Served: true, Checked: at}, verdicts.Entry{Served: false, Checked: at}
	cases := []struct {
		name   string
		result Result
		want   verdicts.Record
	}{{
		// The webhook asks about ref: it must be there, served, after a warm.
		name:   "warmed: reference, digest and tag served",
		result: Result{Target: target, TagStatus: resolve.StatusServed, DigestStatus: resolve.StatusServed, Outcome: OutcomeWarmed},
		want:   verdicts.Record{ref: served, digest: served, tag: served},
	}, {
		// A tag that moved: the tag is served, the digest refused.
		name:   "failed: digest refused, tag served",
		result: Result{Target: target, TagStatus: resolve.StatusServed, DigestStatus: resolve.StatusNotFound, Outcome: OutcomeFailed},
		want:   verdicts.Record{ref: refused, digest: refused, tag: served},
	}, {
		// Without a tag nothing is pulled: only the digest's answer counts.
		name:   "no tag: the digest's answer alone",
		result: Result{Target: Target{Reference: digest, Digest: digest}, TagStatus: TagNone, DigestStatus: resolve.StatusServed, Outcome: OutcomeServed},
		want:   verdicts.Record{digest: served},
	}, {
		// An answer that is neither served nor refused says nothing.
		name:   "unauthorized and errors are left out",
		result: Result{Target: target, TagStatus: resolve.StatusUnauthorized, DigestStatus: resolve.StatusUnreachable, Outcome: OutcomeFailed},
		want:   verdicts.Record{},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Verdicts([]Result{c.result}, at); !maps.Equal(got, c.want) {
				t.Errorf("Verdicts = %v, want %v", got, c.want)
			}
		})
	}
}
