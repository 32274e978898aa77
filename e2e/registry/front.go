package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ProxyKind is the way a pull-through proxy fails, as a real product fails:
// Distribution's own behaviour, or that of Amazon ECR's or Harbor's cache,
// played by an in-process front before the Distribution proxy.
type ProxyKind string

// The kinds a Set's proxies play.
const (
	// ProxyDistribution serves what its upstream has and, once the upstream
	// lost a tag, what it cached.
	ProxyDistribution ProxyKind = ""
	// ProxyECR is an Amazon ECR pull-through cache: a manifest asked by
	// digest (repo@sha256:..., which is also what repo:tag@sha256:... asks)
	// is 404 MANIFEST_UNKNOWN until a tag of that repository was pulled
	// through it once (aws/containers-roadmap#2837); then digests are served.
	// A tag counts as pulled when a manifest request for it (HEAD or GET, as
	// a runtime resolves a tag with either) was answered 2xx.
	ProxyECR ProxyKind = "ecr"
	// ProxyHarbor is Harbor's proxy cache: it asks the upstream about a tag
	// before serving it, and once the upstream deleted the tag it answers 404
	// although the tag is in its cache (goharbor/harbor#22415, #20997).
	ProxyHarbor ProxyKind = "harbor"
)

// manifestPath matches a manifest request: the repository and the reference.
var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)

// front is the in-process TLS server at a Proxy's address that plays kind
// before the Distribution proxy behind it.
type front struct {
	kind     ProxyKind
	upstream string // the upstream's counting address, which Harbor asks about tags
	client   *http.Client
	backend  *httputil.ReverseProxy
	server   *http.Server

	mu     sync.Mutex
	pulled map[string]bool // ECR: repositories a tag was pulled through
}

// startFront serves kind on addr with the certificate in tlsDir, in front of
// the Distribution proxy at backend (HTTPS, through transport).
func startFront(kind ProxyKind, addr, backend, upstream, tlsDir string, transport http.RoundTripper, out io.Writer) (*front, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, "tls.crt"), filepath.Join(tlsDir, "tls.key"))
	if err != nil {
		return nil, fmt.Errorf("the %s front's certificate: %w", kind, err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "https", Host: backend})
	rp.Transport = transport
	rp.ErrorLog = log.New(out, "front "+string(kind)+": ", 0)
	f := &front{kind: kind, upstream: upstream, backend: rp, pulled: map[string]bool{},
		client: &http.Client{Timeout: 5 * time.Second}}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for the %s front: %w", kind, err)
	}
	f.server = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = f.server.ServeTLS(l, "", "") }() // ErrServerClosed on close
	return f, nil
}

func (f *front) close() error { return f.server.Close() }

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := manifestPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		f.backend.ServeHTTP(w, r)
		return
	}
	repo, ref := m[1], m[2]
	byDigest := strings.Contains(ref, ":")
	switch {
	case f.kind == ProxyECR && byDigest && !f.wasPulled(repo):
		manifestUnknown(w, r, repo, ref)
	case f.kind == ProxyECR && !byDigest:
		rec := &statusRecorder{ResponseWriter: w}
		f.backend.ServeHTTP(rec, r)
		if rec.status/100 == 2 {
			f.mu.Lock()
			f.pulled[repo] = true
			f.mu.Unlock()
		}
	case f.kind == ProxyHarbor && !byDigest && !f.upstreamHas(r.Context(), repo, ref):
		manifestUnknown(w, r, repo, ref)
	default:
		f.backend.ServeHTTP(w, r)
	}
}

func (f *front) wasPulled(repo string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pulled[repo]
}

// upstreamHas asks the upstream about a tag, as Harbor does before serving a
// cached one; an upstream that cannot be asked counts as having it (Harbor
// serves its cache when the upstream is unreachable).
func (f *front) upstreamHas(ctx context.Context, repo, tag string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+f.upstream+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return true
	}
	req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
	resp, err := f.client.Do(req)
	if err != nil {
		return true
	}
	_ = resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound
}

// manifestTypes are the manifest media types a runtime accepts.
var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
}

// manifestUnknown answers as a registry answers for a manifest it does not have.
func manifestUnknown(w http.ResponseWriter, r *http.Request, repo, ref string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = fmt.Fprintf(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"name":%q,"reference":%q}}]}`, repo, ref)
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes the reverse proxy's flushes on.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
