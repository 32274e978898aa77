package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Status is a registry's answer to "do you serve this reference?".
type Status string

// The statuses, as the VERIFY column of the reports shows them.
const (
	// StatusServed: a manifest HEAD succeeded; a runtime can pull it.
	StatusServed Status = "served"
	// StatusNotFound: the registry answered that it has no such manifest or
	// repository: a wrong path layout, a missing library/, a digest the upstream
	// does not have.
	StatusNotFound Status = "not-found"
	// StatusUnauthorized: the registry refused the credentials (or their absence).
	StatusUnauthorized Status = "unauthorized"
	// StatusUnreachable: no answer (connection, TLS, timeout) or a server error.
	StatusUnreachable Status = "unreachable"
)

// Result is one reference checked: its status and, unless served, why.
type Result struct {
	Status Status
	Err    error
}

// Checker resolves references with a manifest HEAD, as a runtime does before pulling.
type Checker struct {
	transport http.RoundTripper
	keychain  authn.Keychain
	once      bool // one request, no retries
}

// NewChecker checks through transport (see Transport) with keychain's logins.
func NewChecker(transport http.RoundTripper, keychain authn.Keychain) *Checker {
	return &Checker{transport: transport, keychain: keychain}
}

// Once returns a Checker that asks once: go-containerregistry retries a 5xx
// or a lost connection with backoff (seconds), which a caller with a budget
// of its own (the webhook's served check) cannot wait for; the next check
// asks again.
func (c *Checker) Once() *Checker {
	once := *c
	once.once = true
	return &once
}

// Check sends one manifest HEAD for ref and classifies the answer.
func (c *Checker) Check(ctx context.Context, ref string) Result {
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return Result{Status: StatusNotFound, Err: fmt.Errorf("%q is not a valid reference: %w", ref, err)}
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(c.transport), remote.WithAuthFromKeychain(c.keychain)}
	if c.once {
		opts = append(opts, remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	}
	_, err = remote.Head(r, opts...)
	if err != nil {
		return Result{Status: classify(err), Err: fmt.Errorf("HEAD %s: %w", ref, err)}
	}
	return Result{Status: StatusServed}
}

// Fetch sends one manifest GET for ref, as a runtime does to pull it, and
// returns the digest of the manifest served. A pull-through cache that fills
// itself on a pull (an Amazon ECR pull-through cache, which serves a digest
// only once its tag was pulled) is filled by it: `pullthrough warm`. The
// manifest is read and dropped; no layer is fetched.
func (c *Checker) Fetch(ctx context.Context, ref string) (string, Result) {
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return "", Result{Status: StatusNotFound, Err: fmt.Errorf("%q is not a valid reference: %w", ref, err)}
	}
	d, err := remote.Get(r, remote.WithContext(ctx), remote.WithTransport(c.transport), remote.WithAuthFromKeychain(c.keychain))
	if err != nil {
		return "", Result{Status: classify(err), Err: fmt.Errorf("GET %s: %w", ref, err)}
	}
	return d.Digest.String(), Result{Status: StatusServed}
}

// classify maps a registry error to a Status. A HEAD has no body, so the status
// code decides; a token endpoint's refusal arrives as a transport.Error too, and
// credentials that could not be had at all (a failing helper) are unauthorized.
func classify(err error) Status {
	if errors.Is(err, ErrNoCredentials) {
		return StatusUnauthorized
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return StatusUnreachable
	}
	switch terr.StatusCode {
	case http.StatusNotFound:
		return StatusNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return StatusUnauthorized
	default:
		return StatusUnreachable
	}
}
