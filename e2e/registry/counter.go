package registry

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
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

// counter is a reverse proxy that counts what passes through it. It is in-process, so
// a snapshot taken after a client returned includes all the client's requests: the
// registry's own logs or metrics would be read asynchronously and parsed.
type counter struct {
	mu     sync.Mutex
	counts Counts
	proxy  *httputil.ReverseProxy
}

func newCounter(target *url.URL) *counter {
	return &counter{counts: Counts{}, proxy: httputil.NewSingleHostReverseProxy(target)}
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.counts[Request{Method: r.Method, Kind: kindOf(r.URL.Path)}]++
	c.mu.Unlock()
	c.proxy.ServeHTTP(w, r)
}

func (c *counter) snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(Counts, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}
