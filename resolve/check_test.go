package resolve

import (
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// TestCheck classifies each way a registry answers a manifest HEAD.
func TestCheck(t *testing.T) {
	t.Parallel()
	host, trusting, untrusting := basicAuthRegistry(t)
	login := Credentials{host: authn.AuthConfig{Username: "u", Password: "p"}}
	tests := []struct {
		name      string
		transport http.RoundTripper
		keychain  authn.Keychain
		ref       string
		want      Status
	}{
		{"served", trusting, login, host + "/library/nginx:1.27", StatusServed},
		{"missing library/", trusting, login, host + "/nginx:1.27", StatusNotFound},
		{"no credentials", trusting, Credentials{}, host + "/library/nginx:1.27", StatusUnauthorized},
		{"wrong credentials", trusting, Credentials{host: {Username: "u", Password: "x"}}, host + "/library/nginx:1.27", StatusUnauthorized},
		{"server error", trusting, login, host + "/broken:1", StatusUnreachable},
		{"private CA not trusted", untrusting, login, host + "/library/nginx:1.27", StatusUnreachable},
		{"nothing listening", trusting, login, "127.0.0.1:1/library/nginx:1.27", StatusUnreachable},
		{"not a reference", trusting, login, host + "/UPPER:1", StatusNotFound},
		// The proxy named another way (its port with a leading zero): the
		// logins know it by its identity (rewrite.CanonicalHost).
		{"another spelling of the host", trusting, login, strings.Replace(host, ":", ":0", 1) + "/library/nginx:1.27", StatusServed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := NewChecker(tt.transport, tt.keychain).Check(t.Context(), tt.ref)
			if got.Status != tt.want || (got.Status == StatusServed) != (got.Err == nil) {
				t.Errorf("Check(%s) = %s (%v), want %s", tt.ref, got.Status, got.Err, tt.want)
			}
		})
	}
}

// TestFetch: a manifest GET answers with the digest of what was served, and is
// classified as a HEAD is.
func TestFetch(t *testing.T) {
	t.Parallel()
	host, trusting, _ := basicAuthRegistry(t)
	login := Credentials{host: authn.AuthConfig{Username: "u", Password: "p"}}
	tests := []struct {
		name       string
		keychain   authn.Keychain
		ref        string
		want       Status
		wantDigest string
	}{
		{"served", login, host + "/library/nginx:1.27", StatusServed, testManifestDigest},
		{"not found", login, host + "/library/nginx:9", StatusNotFound, ""},
		{"no credentials", Credentials{}, host + "/library/nginx:1.27", StatusUnauthorized, ""},
		{"server error", login, host + "/broken:1", StatusUnreachable, ""},
		{"not a reference", login, host + "/UPPER:1", StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			digest, got := NewChecker(trusting, tt.keychain).Fetch(t.Context(), tt.ref)
			if got.Status != tt.want || digest != tt.wantDigest || (got.Status == StatusServed) != (got.Err == nil) {
				t.Errorf("Fetch(%s) = %s, %s (%v), want %s, %s", tt.ref, digest, got.Status, got.Err, tt.want, tt.wantDigest)
			}
		})
	}
}

func TestTransportCABundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{empty, filepath.Join(dir, "missing.pem")} {
		if _, err := Transport(path, nil); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Transport(%s) err = %v, want one naming the file", path, err)
		}
	}
}

// TestTransportHTTPSHosts: a proxy is reached over HTTPS under every spelling
// of its host (rewrite.CanonicalHost), and no other host is.
func TestTransportHTTPSHosts(t *testing.T) {
	t.Parallel()
	rt, err := Transport("", []string{"Proxy.Example:443", "10.0.0.5:5000"})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{
		"proxy.example":     "https",
		"PROXY.example:443": "https",
		"10.0.0.5:05000":    "https",
		"10.0.0.5":          "http", // another port, another registry
		"other.example":     "http",
	} {
		var scheme string
		rt.(*httpsFor).base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			scheme = r.URL.Scheme
			return nil, errors.New("not sent")
		})
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+host+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			t.Fatal("want the fake's error")
		}
		if scheme != want {
			t.Errorf("request for %s sent over %s, want %s", host, scheme, want)
		}
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testManifest is the manifest basicAuthRegistry serves, and its digest.
const testManifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}`

var testManifestDigest = fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(testManifest)))

// basicAuthRegistry serves a manifest HEAD the ways a registry does, behind basic
// auth as u:p, over TLS from a CA only the first transport trusts, on a loopback
// address go-containerregistry would send plain HTTP to.
func basicAuthRegistry(t *testing.T) (host string, trusting, untrusting http.RoundTripper) {
	t.Helper()
	registry := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); r.URL.Path != "/v2/" && (!ok || user != "u" || pass != "p") {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v2/", "/v2/library/nginx/manifests/1.27":
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Header().Set("Docker-Content-Digest", testManifestDigest)
			w.Header().Set("Content-Length", strconv.Itoa(len(testManifest)))
			if r.Method == http.MethodGet {
				_, _ = io.WriteString(w, testManifest)
			}
		case "/v2/broken/manifests/1":
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(registry.Close)
	host = strings.TrimPrefix(registry.URL, "https://")
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: registry.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	trusting, err := Transport(ca, []string{host})
	if err != nil {
		t.Fatal(err)
	}
	if untrusting, err = Transport("", []string{host}); err != nil {
		t.Fatal(err)
	}
	return host, trusting, untrusting
}

// TestCheckOnce: a Checker made by Once sends one request for a server error,
// where go-containerregistry would retry with a backoff of seconds.
func TestCheckOnce(t *testing.T) {
	t.Parallel()
	var heads atomic.Int32
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			heads.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer registry.Close()
	host := strings.TrimPrefix(registry.URL, "http://")
	got := NewChecker(http.DefaultTransport, Credentials{}).Once().Check(t.Context(), host+"/library/nginx:1.27")
	if got.Status != StatusUnreachable || heads.Load() != 1 {
		t.Errorf("Check = %s (%v) after %d manifest requests; want unreachable after 1", got.Status, got.Err, heads.Load())
	}
}
