package registry

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// TestPullLimit plays Docker Hub's limit through the counter: manifest GETs
// count per client address, HEADs and blobs are free, a client over the limit
// gets 429 with the ratelimit headers, other clients keep their own budget,
// and pulls spent by the rest of a NAT'ed fleet count against the address.
func TestPullLimit(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer upstream.Close()
	target, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := newCounter(target)
	c.setLimit(PullLimit{Pulls: 2, Window: time.Hour})
	c.spend("10.0.0.9", 1)
	steps := []struct {
		client, method, path string
		status               int
		remaining            string // the RateLimit-Remaining header; "" for none
	}{
		{"198.51.100.1", http.MethodHead, "/v2/library/app/manifests/1", http.StatusOK, "2;w=3600"},
		{"198.51.100.1", http.MethodGet, "/v2/library/app/manifests/1", http.StatusOK, "1;w=3600"},
		{"198.51.100.1", http.MethodGet, "/v2/library/app/blobs/sha256:aa", http.StatusOK, ""},
		{"198.51.100.1", http.MethodGet, "/v2/library/app/manifests/sha256:bb", http.StatusOK, "0;w=3600"},
		{"198.51.100.1", http.MethodGet, "/v2/library/app/manifests/1", http.StatusTooManyRequests, "0;w=3600"},
		{"198.51.100.1", http.MethodHead, "/v2/library/app/manifests/1", http.StatusOK, "0;w=3600"},
		{"203.0.113.7", http.MethodGet, "/v2/library/app/manifests/1", http.StatusOK, "1;w=3600"},
		{"10.0.0.9", http.MethodGet, "/v2/library/app/manifests/1", http.StatusOK, "0;w=3600"},
		{"10.0.0.9", http.MethodGet, "/v2/library/app/manifests/1", http.StatusTooManyRequests, "0;w=3600"},
	}
	for i, s := range steps {
		req := httptest.NewRequest(s.method, s.path, nil)
		req.RemoteAddr = s.client + ":40000"
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != s.status || rec.Header().Get("RateLimit-Remaining") != s.remaining {
			t.Errorf("step %d (%s %s %s): %d remaining %q; want %d %q", i, s.client, s.method, s.path,
				rec.Code, rec.Header().Get("RateLimit-Remaining"), s.status, s.remaining)
		}
	}
	if got := c.limitedFrom("198.51.100.1"); got != 1 {
		t.Errorf("limited 198.51.100.1 %d times; want 1", got)
	}
	if got := c.snapshotFrom("198.51.100.1")[Request{Method: http.MethodGet, Kind: KindManifest}]; got != 3 {
		t.Errorf("counted %d manifest GETs from 198.51.100.1; want 3 (the refused one too)", got)
	}
	c.setLimit(PullLimit{})
	req := httptest.NewRequest(http.MethodGet, "/v2/library/app/manifests/1", nil)
	req.RemoteAddr = "198.51.100.1:40000"
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("RateLimit-Limit") != "" {
		t.Errorf("with the limit lifted: %d, RateLimit-Limit %q; want 200 and none", rec.Code, rec.Header().Get("RateLimit-Limit"))
	}
}
