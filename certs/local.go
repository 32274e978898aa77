package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/util/validation"
)

// clockSkew backdates certificates so that a client whose clock is a little behind
// does not reject one that was just made.
const clockSkew = time.Hour

// WriteSelfSigned makes a new CA and a serving certificate it signs for hosts (DNS names
// and IP addresses, e.g. localhost and 127.0.0.1), both valid for validity, and writes
// ca.crt, tls.crt and tls.key into dir (created if needed), for `pullthrough webhook
// --cert-dir DIR` outside a cluster: `make demo`, the README's curl example, e2e tests.
// It returns the CA certificate, which a client (curl --cacert, a caBundle) must trust.
// The CA key is discarded: nothing can sign with this CA again.
func WriteSelfSigned(dir string, hosts []string, validity time.Duration) ([]byte, error) {
	switch {
	case dir == "":
		return nil, fmt.Errorf("%s: dir: must be set", invalidOption)
	case len(hosts) == 0:
		return nil, fmt.Errorf("%s: hosts: need at least one DNS name or IP address", invalidOption)
	case validity <= 0:
		return nil, fmt.Errorf("%s: validity %s: must be positive", invalidOption, validity)
	}
	dnsNames, ips, err := splitHosts(hosts)
	if err != nil {
		return nil, err
	}
	begin := time.Now().Add(-clockSkew)
	end := begin.Add(clockSkew + validity)
	// The rotator's CA generation serves here as well; its serving certificate cannot
	// (it has no IP addresses), hence signServing.
	ca, err := (&rotator.CertRotator{CAName: caName, CAOrganization: caOrganization}).CreateCACert(begin, end)
	if err != nil {
		return nil, fmt.Errorf("creating a CA: %w", err)
	}
	certPEM, keyPEM, err := signServing(ca, dnsNames, ips, begin, end)
	if err != nil {
		return nil, err
	}
	if err := writeCertDir(dir, servingPair{caPEM: ca.CertPEM, certPEM: certPEM, keyPEM: keyPEM}); err != nil {
		return nil, err
	}
	return ca.CertPEM, nil
}

// splitHosts sorts hosts into DNS names and IP addresses, which go in different fields
// of a certificate: a client checking 127.0.0.1 ignores a DNS name "127.0.0.1". A host
// that is neither (" localhost", "localhost:9443") is refused rather than put in a
// certificate no client would match.
func splitHosts(hosts []string) (dnsNames []string, ips []net.IP, err error) {
	for i, host := range hosts {
		if ip := net.ParseIP(host); ip != nil {
			ips = append(ips, ip)
			continue
		}
		// DNS names compare case-insensitively; a wildcard may cover one leftmost label.
		name := strings.TrimPrefix(strings.ToLower(host), "*.")
		if problems := validation.IsDNS1123Subdomain(name); len(problems) > 0 {
			return nil, nil, fmt.Errorf("%s: hosts[%d] %q: neither an IP address nor a DNS name: %s",
				invalidOption, i, host, strings.Join(problems, "; "))
		}
		dnsNames = append(dnsNames, host)
	}
	return dnsNames, ips, nil
}

// signServing makes a serving certificate for dnsNames and ips signed by ca, with a
// fresh P-256 key, and returns both PEM-encoded.
func signServing(ca *rotator.KeyPairArtifacts, dnsNames []string, ips []net.IP, begin, end time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating a serving key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generating a serial number: %w", err)
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "pullthrough-webhook", Organization: []string{caOrganization}},
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		NotBefore:             begin,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           servingUsages,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the serving key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
