package warm

import (
	"time"

	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/verdicts"
)

// Verdicts is what results tell the shared verdict record, checked at
// checked: the digest's answer under the reference as the pods name it (the
// key the webhook asks about) and under repo@sha256:… (what a runtime asks),
// and the tag's answer under repo:tag. Served and refused (not found) are
// kept, any other answer left out, as verdicts.Record.Note does: a warmed
// digest is then let through by the webhook at once, instead of after its
// not-served verdict expires.
func Verdicts(results []Result, checked time.Time) verdicts.Record {
	rec := verdicts.Record{}
	for _, r := range results {
		digest := resolve.Result{Status: r.DigestStatus}
		rec.Note(r.Reference, digest, checked)
		rec.Note(r.Digest, digest, checked)
		if r.Tag != "" {
			rec.Note(r.Tag, resolve.Result{Status: r.TagStatus}, checked)
		}
	}
	return rec
}
