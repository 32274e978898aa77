package registry

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"time"
)

// Request kinds an upstream counts.
const (
	KindManifest = "manifest" // /v2/<name>/manifests/<reference>: what Docker Hub rate-limits (GETs)
	KindBlob     = "blob"     // /v2/<name>/blobs/<digest>: layers and configs
	KindOther    = "other"    // /v2/ pings, uploads, tags lists
)

// Request is one counted kind of request: an HTTP method and a Kind.
type Request struct {
	Method string
	Kind   string
}

// Counts are requests an upstream received, by method and kind.
type Counts map[Request]int

// Sub returns c minus before: what arrived between two snapshots.
func (c Counts) Sub(before Counts) Counts {
	out := Counts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// apiPath matches the registry API paths that are counted as manifests or blobs.
var apiPath = regexp.MustCompile(`^/v2/.+/(manifests|blobs)/[^/]+$`)

func kindOf(path string) string {
	m := apiPath.FindStringSubmatch(path)
	switch {
	case m == nil:
		return KindOther
	case m[1] == "manifests":
		return KindManifest
	default:
		return KindBlob
	}
}

// PullLimit is an upstream's pull rate limit per client address, as Docker Hub
// enforces it: Pulls manifest GETs (HEADs are free) per Window for each address,
// then 429 Too Many Requests with Docker Hub's ratelimit-limit and
// ratelimit-remaining headers. Docker Hub's anonymous limit is 100 pulls per 6
// hours per IPv4 address; tests scale the window down.
type PullLimit struct {
	Pulls  int
	Window time.Duration
}

// counter is a reverse proxy that counts what passes through it, in all and per
// client address, and enforces an optional PullLimit. It is in-process, so a
// snapshot taken after a client returned includes all the client's requests: the
// registry's own logs or metrics would be read asynchronously and parsed.
type counter struct {
	mu       sync.Mutex
	byClient map[string]Counts // the counts are their sum
	limit    PullLimit
	pulls    map[string][]time.Time // client -> its counted pulls in the window
	limited  map[string]int         // client -> 429s sent
	proxy    *httputil.ReverseProxy
}

func newCounter(target *url.URL) *counter {
	return &counter{
		byClient: map[string]Counts{},
		pulls:    map[string][]time.Time{}, limited: map[string]int{},
		proxy: httputil.NewSingleHostReverseProxy(target),
	}
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	req := Request{Method: r.Method, Kind: kindOf(r.URL.Path)}
	c.mu.Lock()
	if c.byClient[client] == nil {
		c.byClient[client] = Counts{}
	}
	c.byClient[client][req]++
	remaining, allowed := c.takePull(client, req)
	c.mu.Unlock()
	if remaining >= 0 {
		window := int(c.limit.Window.Seconds())
		w.Header().Set("RateLimit-Limit", fmt.Sprintf("%d;w=%d", c.limit.Pulls, window))
		w.Header().Set("RateLimit-Remaining", fmt.Sprintf("%d;w=%d", remaining, window))
	}
	if !allowed {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = fmt.Fprint(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your unauthenticated pull rate limit."}]}`)
		return
	}
	c.proxy.ServeHTTP(w, r)
}

// takePull applies the limit to one request of client: it returns the pulls left
// in the window (-1 when there is no limit or the request is no pull) and whether
// the request may pass. c.mu is held.
func (c *counter) takePull(client string, req Request) (remaining int, allowed bool) {
	if c.limit.Pulls == 0 || req.Kind != KindManifest {
		return -1, true
	}
	now := time.Now()
	kept := c.pulls[client][:0]
	for _, t := range c.pulls[client] {
		if now.Sub(t) < c.limit.Window {
			kept = append(kept, t)
		}
	}
	c.pulls[client] = kept
	if req.Method != http.MethodGet {
		return c.limit.Pulls - len(kept), true
	}
	if len(kept) >= c.limit.Pulls {
		c.limited[client]++
		return 0, false
	}
	c.pulls[client] = append(kept, now)
	return c.limit.Pulls - len(kept) - 1, true
}

func (c *counter) setLimit(limit PullLimit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit, c.pulls, c.limited = limit, map[string][]time.Time{}, map[string]int{}
}

func (c *counter) spend(client string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.pulls[client] = append(c.pulls[client], time.Now())
	}
}

func (c *counter) snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := Counts{}
	for _, counts := range c.byClient {
		for k, v := range counts {
			sum[k] += v
		}
	}
	return sum
}

func (c *counter) snapshotFrom(client string) Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byClient[client].clone()
}

func (c *counter) limitedFrom(client string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limited[client]
}

func (c Counts) clone() Counts {
	out := make(Counts, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}
