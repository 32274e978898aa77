package resolve

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Transport returns a transport that trusts the system roots plus the PEM
// certificates in caFile ("" for none) and sends every request for one of
// httpsHosts over HTTPS. Hosts are compared by registry identity
// (rewrite.CanonicalHost), so any spelling of a proxy's host is upgraded.
func Transport(caFile string, httpsHosts []string) (http.RoundTripper, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificate in it", caFile)
		}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hosts := make(map[string]bool, len(httpsHosts))
	for _, h := range httpsHosts {
		hosts[rewrite.CanonicalHost(h)] = true
	}
	return &httpsFor{hosts: hosts, base: base}, nil
}

// httpsFor upgrades plain-HTTP requests to its hosts. go-containerregistry picks
// http:// for loopback and RFC 1918 registries on its own; a pull-through proxy on
// such an address is served over TLS and must be reached over TLS.
type httpsFor struct {
	hosts map[string]bool
	base  http.RoundTripper
}

func (h *httpsFor) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && h.hosts[rewrite.CanonicalHost(req.URL.Host)] {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return h.base.RoundTrip(req)
}
