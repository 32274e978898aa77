package metricsauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/wellknown"
)

// Results of a request, the values of the result label.
const (
	resultAllowed         = "allowed"
	resultUnauthenticated = "unauthenticated"
	resultForbidden       = "forbidden"
	resultError           = "error"
)

// Remembering allowed tokens: how long, and how many at most (a scraper per
// Prometheus replica is the usual count; the bound keeps a flood of valid
// tokens from growing the map without end).
const (
	allowTTL      = time.Minute
	maxRemembered = 1024
	reviewTimeout = 10 * time.Second
)

// Reviewer asks the API server about each request; build it with New.
type Reviewer struct {
	client   kubernetes.Interface
	requests *prometheus.CounterVec

	mu      sync.Mutex
	allowed map[[sha256.Size]byte]time.Time // request key -> until when it is allowed
}

// New returns a Reviewer asking client's API server, its counter registered on reg.
func New(client kubernetes.Interface, reg prometheus.Registerer) (*Reviewer, error) {
	r := &Reviewer{
		client: client,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: wellknown.MetricMetricsRequests,
			Help: "Requests to the secure /metrics (--metrics-secure) by result: allowed, unauthenticated (401), forbidden (403), error (500: a review failed)."},
			[]string{"result"}),
		allowed: map[[sha256.Size]byte]time.Time{},
	}
	if err := reg.Register(r.requests); err != nil {
		return nil, err
	}
	for _, res := range []string{resultAllowed, resultUnauthenticated, resultForbidden, resultError} {
		r.requests.WithLabelValues(res)
	}
	return r, nil
}

// Filter wraps next so that only authorized requests reach it; it is a
// controller-runtime metricsserver.Filter.
func (r *Reviewer) Filter(log logr.Logger, next http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		result, err := r.review(req)
		r.requests.WithLabelValues(result).Inc()
		switch result {
		case resultAllowed:
			next.ServeHTTP(w, req)
		case resultUnauthenticated:
			log.V(1).Info("refused a metrics request", "reason", err, "remote", req.RemoteAddr)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		case resultForbidden:
			log.V(1).Info("refused a metrics request", "reason", err, "remote", req.RemoteAddr)
			http.Error(w, "Forbidden", http.StatusForbidden)
		default:
			log.Error(err, "reviewing a metrics request", "remote", req.RemoteAddr)
			http.Error(w, "Review failed", http.StatusInternalServerError)
		}
	}), nil
}

// review decides a request: its result and, unless allowed, why.
func (r *Reviewer) review(req *http.Request) (string, error) {
	token, ok := bearerToken(req.Header.Get("Authorization"))
	if !ok {
		return resultUnauthenticated, errors.New("no bearer token")
	}
	verb, path := strings.ToLower(req.Method), req.URL.Path
	key := sha256.Sum256([]byte(verb + " " + path + "\x00" + token))
	if r.remembered(key) {
		return resultAllowed, nil
	}
	ctx, cancel := context.WithTimeout(req.Context(), reviewTimeout)
	defer cancel()
	tr, err := r.client.AuthenticationV1().TokenReviews().Create(ctx,
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return resultError, fmt.Errorf("TokenReview: %w", err)
	}
	if !tr.Status.Authenticated {
		return resultUnauthenticated, fmt.Errorf("token not authenticated: %s", tr.Status.Error)
	}
	user := tr.Status.User
	sar, err := r.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra(user.Extra),
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
		}}, metav1.CreateOptions{})
	if err != nil {
		return resultError, fmt.Errorf("SubjectAccessReview of %s: %w", user.Username, err)
	}
	if !sar.Status.Allowed || sar.Status.Denied {
		return resultForbidden, fmt.Errorf("%s may not %s %s: %s", user.Username, verb, path, sar.Status.Reason)
	}
	r.remember(key)
	return resultAllowed, nil
}

// bearerToken reads "Bearer TOKEN" (the scheme is case-insensitive, RFC 9110).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// extra converts the user's extra attributes between the two API groups.
func extra(in map[string]authenticationv1.ExtraValue) map[string]authorizationv1.ExtraValue {
	if in == nil {
		return nil
	}
	out := make(map[string]authorizationv1.ExtraValue, len(in))
	for k, v := range in {
		out[k] = authorizationv1.ExtraValue(v)
	}
	return out
}

// remembered reports whether key was allowed less than allowTTL ago.
func (r *Reviewer) remembered(key [sha256.Size]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.allowed[key]
	return ok && time.Now().Before(until)
}

// remember records key as allowed for allowTTL, first dropping what has
// expired when the map is full, and everything if that is not enough.
func (r *Reviewer) remember(key [sha256.Size]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if len(r.allowed) >= maxRemembered {
		for k, until := range r.allowed {
			if !now.Before(until) {
				delete(r.allowed, k)
			}
		}
		if len(r.allowed) >= maxRemembered {
			clear(r.allowed)
		}
	}
	r.allowed[key] = now.Add(allowTTL)
}
