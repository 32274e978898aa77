package containerd

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// front is a TLS server in front of a registry. With no prefix it forwards
// every request as it is: a proxy that serves a registry at its root. With a
// prefix it serves the registry's /v2/NAME/... at /v2/PREFIX/NAME/... only,
// the layout of a Harbor proxy-cache project or an Artifactory remote, which
// no Distribution registry serves natively.
type front struct {
	*httptest.Server
	// served counts requests for an image, the API root excepted.
	served atomic.Int64
}

func newFront(t *testing.T, registry *url.URL, prefix string, transport http.RoundTripper) *front {
	t.Helper()
	f := &front{}
	proxy := &httputil.ReverseProxy{Transport: transport, Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(registry)
		r.Out.Host = registry.Host
	}}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v2/"); ok && rest != "" {
			if prefix != "" {
				rest, ok = strings.CutPrefix(rest, prefix+"/")
			}
			if !ok {
				http.Error(w, `{"errors":[{"code":"NAME_UNKNOWN"}]}`, http.StatusNotFound)
				return
			}
			r.URL.Path = "/v2/" + rest
			r.URL.RawPath = ""
			f.served.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// host is the front's host:port, the target of a mirror.
func (f *front) host() string { return strings.TrimPrefix(f.URL, "https://") }
