package metricsauth

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pullthrough/pullthrough/wellknown"
)

// apiServer is a fake API server's answers: which tokens it knows (token ->
// user) and which users may get /metrics; an error fails that review.
type apiServer struct {
	tokens           map[string]string
	readers          map[string]bool
	tokenErr, sarErr error
	reviews          int
	gotSAR           *authorizationv1.SubjectAccessReviewSpec
}

func (a *apiServer) client() *fake.Clientset {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		a.reviews++
		if a.tokenErr != nil {
			return true, nil, a.tokenErr
		}
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview)
		if user, ok := a.tokens[tr.Spec.Token]; ok {
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{
				Username: user, UID: "uid-" + user, Groups: []string{"system:serviceaccounts"},
				Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"p"}}}}
		} else {
			tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}
		}
		return true, tr, nil
	})
	cs.PrependReactor("create", "subjectaccessreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		a.reviews++
		if a.sarErr != nil {
			return true, nil, a.sarErr
		}
		sar := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		a.gotSAR = sar.Spec.DeepCopy()
		na := sar.Spec.NonResourceAttributes
		sar.Status.Allowed = na != nil && na.Verb == "get" && na.Path == "/metrics" && a.readers[sar.Spec.User]
		return true, sar, nil
	})
	return cs
}

func TestFilter(t *testing.T) {
	t.Parallel()
	known := map[string]string{"reader-token": "system:serviceaccount:monitoring:prometheus", "other-token": "system:serviceaccount:default:app"}
	readers := map[string]bool{"system:serviceaccount:monitoring:prometheus": true}
	tests := []struct {
		name    string
		header  string
		method  string
		api     apiServer
		status  int
		result  string
		reviews int // API calls the request cost
	}{
		// Without a token nothing is asked: a port scan costs the API server nothing.
		{"no token", "", http.MethodGet, apiServer{}, http.StatusUnauthorized, resultUnauthenticated, 0},
		{"basic auth", "Basic dXNlcjpwYXNz", http.MethodGet, apiServer{}, http.StatusUnauthorized, resultUnauthenticated, 0},
		{"empty bearer", "Bearer ", http.MethodGet, apiServer{}, http.StatusUnauthorized, resultUnauthenticated, 0},
		{"unknown token", "Bearer forged", http.MethodGet, apiServer{tokens: known, readers: readers}, http.StatusUnauthorized, resultUnauthenticated, 1},
		// Authenticated is not enough: the grant on /metrics is what counts.
		{"token without the grant", "Bearer other-token", http.MethodGet, apiServer{tokens: known, readers: readers}, http.StatusForbidden, resultForbidden, 2},
		{"reader", "Bearer reader-token", http.MethodGet, apiServer{tokens: known, readers: readers}, http.StatusOK, resultAllowed, 2},
		{"scheme is case-insensitive", "bearer reader-token", http.MethodGet, apiServer{tokens: known, readers: readers}, http.StatusOK, resultAllowed, 2},
		// The verb is the request's: get on /metrics does not allow a POST.
		{"other verb", "Bearer reader-token", http.MethodPost, apiServer{tokens: known, readers: readers}, http.StatusForbidden, resultForbidden, 2},
		// A review that fails is an error, not a denial nor an allowance.
		{"TokenReview fails", "Bearer reader-token", http.MethodGet, apiServer{tokenErr: errors.New("connection refused")}, http.StatusInternalServerError, resultError, 1},
		{"SubjectAccessReview fails", "Bearer reader-token", http.MethodGet, apiServer{tokens: known, sarErr: errors.New("connection refused")}, http.StatusInternalServerError, resultError, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewPedanticRegistry()
			r, err := New(tt.api.client(), reg)
			if err != nil {
				t.Fatal(err)
			}
			rec := serve(t, r, tt.method, tt.header)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			if served := strings.Contains(rec.Body.String(), "metric text"); served != (tt.status == http.StatusOK) {
				t.Errorf("next handler served: %v, want %v", served, tt.status == http.StatusOK)
			}
			if tt.api.reviews != tt.reviews {
				t.Errorf("%d reviews, want %d", tt.api.reviews, tt.reviews)
			}
			if got := testutil.ToFloat64(r.requests.WithLabelValues(tt.result)); got != 1 {
				t.Errorf("%s{result=%q} = %v, want 1", wellknown.MetricMetricsRequests, tt.result, got)
			}
			if _, err := reg.Gather(); err != nil {
				t.Errorf("gather: %v", err)
			}
		})
	}
}

// serve sends one request for /metrics through r's filter.
func serve(t *testing.T, r *Reviewer, method, header string) *httptest.ResponseRecorder {
	t.Helper()
	h, err := r.Filter(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metric text")) }))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, "/metrics", nil)
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSubjectAccessReview checks that the review asks about the user the
// token names, with its groups, UID and extra attributes, for the request's
// verb and path.
func TestSubjectAccessReview(t *testing.T) {
	t.Parallel()
	api := &apiServer{tokens: map[string]string{"t": "system:serviceaccount:monitoring:prometheus"}}
	r, err := New(api.client(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	serve(t, r, http.MethodGet, "Bearer t")
	want := authorizationv1.SubjectAccessReviewSpec{
		User: "system:serviceaccount:monitoring:prometheus", UID: "uid-system:serviceaccount:monitoring:prometheus",
		Groups:                []string{"system:serviceaccounts"},
		Extra:                 map[string]authorizationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"p"}},
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"},
	}
	if api.gotSAR == nil || !equalSpec(*api.gotSAR, want) {
		t.Errorf("SubjectAccessReview spec %+v, want %+v", api.gotSAR, want)
	}
}

func equalSpec(a, b authorizationv1.SubjectAccessReviewSpec) bool {
	return a.User == b.User && a.UID == b.UID && strings.Join(a.Groups, ",") == strings.Join(b.Groups, ",") &&
		len(a.Extra) == len(b.Extra) && strings.Join(a.Extra["authentication.kubernetes.io/pod-name"], ",") == "p" &&
		*a.NonResourceAttributes == *b.NonResourceAttributes
}

// TestRemembersAllowed checks that an allowed token is reviewed once per
// allowTTL, and a denied one at every request (a grant given later counts).
func TestRemembersAllowed(t *testing.T) {
	t.Parallel()
	api := &apiServer{tokens: map[string]string{"reader": "r", "other": "o"}, readers: map[string]bool{"r": true}}
	r, err := New(api.client(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if rec := serve(t, r, http.MethodGet, "Bearer reader"); rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if api.reviews != 2 {
		t.Errorf("three allowed scrapes cost %d reviews, want 2", api.reviews)
	}
	api.reviews = 0
	serve(t, r, http.MethodGet, "Bearer other")
	api.readers["o"] = true
	if rec := serve(t, r, http.MethodGet, "Bearer other"); rec.Code != http.StatusOK {
		t.Errorf("after the grant: status %d, want 200", rec.Code)
	}
	if api.reviews != 4 {
		t.Errorf("a denial then an allowance cost %d reviews, want 4", api.reviews)
	}
}

// TestRememberBounded checks that the map of allowed tokens stays bounded.
func TestRememberBounded(t *testing.T) {
	t.Parallel()
	r := &Reviewer{allowed: map[[32]byte]time.Time{}}
	key := func(i int) [32]byte { return sha256.Sum256([]byte(strconv.Itoa(i))) }
	for i := range maxRemembered + 10 {
		r.remember(key(i))
	}
	if n := len(r.allowed); n > maxRemembered {
		t.Errorf("%d remembered, want at most %d", n, maxRemembered)
	}
	if !r.remembered(key(maxRemembered + 9)) {
		t.Error("the newest entry was dropped")
	}
}
