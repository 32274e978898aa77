package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"
)

// testOptions are valid options for a Service pullthrough in pullthrough-system.
func testOptions(certDir string) SelfSignedOptions {
	return SelfSignedOptions{
		SecretNamespace:   "pullthrough-system",
		SecretName:        "pullthrough-webhook-tls",
		ServiceNamespace:  "pullthrough-system",
		ServiceName:       "pullthrough",
		WebhookConfigName: "pullthrough",
		CertDir:           certDir,
	}
}

// issued is a CA and a serving pair as the rotator keeps them in the Secret.
type issued struct {
	caPEM, caKeyPEM, certPEM, keyPEM []byte
}

// issue makes, with the rotator configured for opts, a CA valid until caEnd and a
// serving certificate valid until certEnd, both from an hour ago.
func issue(t *testing.T, opts SelfSignedOptions, caEnd, certEnd time.Time) issued {
	t.Helper()
	r := newRotator(opts, nil)
	begin := time.Now().Add(-time.Hour)
	ca, err := r.CreateCACert(begin, caEnd)
	if err != nil {
		t.Fatalf("CreateCACert: %v", err)
	}
	certPEM, keyPEM, err := r.CreateCertPEM(ca, begin, certEnd)
	if err != nil {
		t.Fatalf("CreateCertPEM: %v", err)
	}
	return issued{caPEM: ca.CertPEM, caKeyPEM: ca.KeyPEM, certPEM: certPEM, keyPEM: keyPEM}
}

// verifyServing checks that certPEM chains to caPEM as a server certificate for host
// (a DNS name or an IP address), as an API server or curl would.
func verifyServing(caPEM, certPEM []byte, host string) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return errors.New("no CA certificate in PEM")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("no serving certificate in PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	_, err = cert.Verify(x509.VerifyOptions{
		DNSName:   host,
		Roots:     roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}
