package warm

import (
	"context"
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/resolve"
)

// Proxy is the pull-through proxy as warm reaches it: with the credentials a
// pod of the namespace would pull with.
type Proxy interface {
	// Verify is resolve.Verifier's manifest HEAD: does the proxy serve image?
	resolve.Verifier
	// Fetch pulls image's manifest (a GET, as resolve.Checker.Fetch) and
	// returns its digest.
	Fetch(ctx context.Context, namespace, image string) (string, resolve.Result)
}

// Outcome is what warming did for one reference.
type Outcome string

// The outcomes, as the RESULT column and -o json name them.
const (
	// OutcomeWarmed: the tag was pulled through the proxy, and the proxy
	// serves the digest.
	OutcomeWarmed Outcome = "warmed"
	// OutcomeServed: the proxy serves the digest, though no tag was pulled:
	// the reference has none, or its pull failed (TagStatus says how).
	OutcomeServed Outcome = "served"
	// OutcomeFailed: the proxy does not serve the digest; a pod naming it
	// would not start. Error says why.
	OutcomeFailed Outcome = "failed"
)

// TagNone is a Result's TagStatus for a reference without a tag: nothing to pull.
const TagNone resolve.Status = "no-tag"

// Result is what warming did for one Target.
type Result struct {
	Target
	// TagStatus is the proxy's answer to the tag's pull (served: pulled), or
	// TagNone.
	TagStatus resolve.Status `json:"tagStatus"`
	// TagDigest is the digest the tag points at now, when it was pulled.
	TagDigest string `json:"tagDigest,omitempty"`
	// DigestStatus is the proxy's answer for the digest, after the pull.
	DigestStatus resolve.Status `json:"digestStatus"`
	Outcome      Outcome        `json:"outcome"`
	// Error says why the digest is not served, why the tag was not pulled,
	// or that the tag no longer points at the digest.
	Error string `json:"error,omitempty"`
}

// Run warms every target through p, one after another, and returns a Result
// for each, in order.
func Run(ctx context.Context, p Proxy, targets []Target) []Result {
	results := make([]Result, 0, len(targets))
	for _, t := range targets {
		results = append(results, warm(ctx, p, t))
	}
	return results
}

// warm pulls t's tag, then asks for its digest.
func warm(ctx context.Context, p Proxy, t Target) Result {
	r := Result{Target: t, TagStatus: TagNone}
	var why []string
	if t.Tag == "" {
		why = append(why, "no tag to pull through the proxy: name the image as repo:tag@sha256:… so that it can be warmed")
	} else {
		digest, res := p.Fetch(ctx, t.Namespace, t.Tag)
		r.TagStatus, r.TagDigest = res.Status, digest
		switch {
		case res.Status != resolve.StatusServed:
			why = append(why, fmt.Sprintf("pulling the tag: %s: %v", res.Status, res.Err))
		case digest != digestOf(t.Digest):
			why = append(why, fmt.Sprintf("the tag now points at %s, not at the digest: pulling it cannot bring the digest", digest))
		}
	}
	res := p.Verify(ctx, t.Namespace, t.Digest)
	r.DigestStatus = res.Status
	switch {
	case res.Status != resolve.StatusServed:
		r.Outcome = OutcomeFailed
		why = append(why, fmt.Sprintf("the digest: %s: %v", res.Status, res.Err))
	case r.TagStatus == resolve.StatusServed:
		r.Outcome = OutcomeWarmed
	default:
		r.Outcome = OutcomeServed
	}
	r.Error = strings.Join(why, "; ")
	return r
}

// digestOf is the sha256:… part of repo@sha256:….
func digestOf(ref string) string {
	_, digest, _ := strings.Cut(ref, "@")
	return digest
}

// Failed returns the results whose digest the proxy does not serve: what
// fails `pullthrough warm`.
func Failed(results []Result) []Result {
	var out []Result
	for _, r := range results {
		if r.Outcome == OutcomeFailed {
			out = append(out, r)
		}
	}
	return out
}
