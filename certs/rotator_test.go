package certs

import (
	"testing"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
)

func TestRotatorCertificateVerifies(t *testing.T) {
	t.Parallel()
	opts := testOptions(t.TempDir())
	year := time.Now().Add(servingValidity)
	pair := issue(t, opts, year, year)
	tests := []struct {
		host  string
		valid bool
	}{
		{host: "pullthrough.pullthrough-system.svc", valid: true},
		{host: "pullthrough", valid: true},
		{host: "pullthrough.pullthrough-system", valid: true},
		{host: "pullthrough.pullthrough-system.svc.cluster.local", valid: true},
		// The same Service name in another namespace is another Service.
		{host: "pullthrough.default.svc", valid: false},
		{host: "other.pullthrough-system.svc", valid: false},
		{host: "127.0.0.1", valid: false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			err := verifyServing(pair.caPEM, pair.certPEM, tt.host)
			if tt.valid != (err == nil) {
				t.Fatalf("verify for %q: err = %v, want valid = %v", tt.host, err, tt.valid)
			}
		})
	}
}

// TestRenewal pins when the rotator replaces a certificate under our lifetimes. It asks
// rotator.ValidCert at now+renewBefore, the question the rotator's refresh asks of the
// serving certificate (for the Service's first DNS name) and of the CA; the e2e test
// TestSelfSignedRenewal watches the rotator act on the answer.
func TestRenewal(t *testing.T) {
	t.Parallel()
	opts := testOptions(t.TempDir())
	now := time.Now()
	day := 24 * time.Hour
	tests := []struct {
		name                string
		caEnd, certEnd      time.Time
		keepCA, keepServing bool
	}{
		{name: "fresh", caEnd: now.Add(caValidity), certEnd: now.Add(servingValidity), keepCA: true, keepServing: true},
		{name: "serving just outside the window", caEnd: now.Add(caValidity), certEnd: now.Add(renewBefore + day), keepCA: true, keepServing: true},
		{name: "serving inside the window", caEnd: now.Add(caValidity), certEnd: now.Add(renewBefore - day), keepCA: true, keepServing: false},
		{name: "serving expiring tomorrow", caEnd: now.Add(caValidity), certEnd: now.Add(day), keepCA: true, keepServing: false},
		// A serving certificate cannot outlive its CA, so both are replaced.
		{name: "ca inside the window", caEnd: now.Add(renewBefore - day), certEnd: now.Add(renewBefore - day), keepCA: false, keepServing: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pair := issue(t, opts, tt.caEnd, tt.certEnd)
			r := newRotator(opts, nil)
			at := now.Add(r.LookaheadInterval)
			keepCA, _ := rotator.ValidCert(pair.caPEM, pair.caPEM, pair.caKeyPEM, r.CAName, nil, at)
			keepServing, _ := rotator.ValidCert(pair.caPEM, pair.certPEM, pair.keyPEM, r.DNSName, r.ExtKeyUsages, at)
			if keepCA != tt.keepCA || keepServing != tt.keepServing {
				t.Fatalf("kept CA %v, serving %v; want %v, %v", keepCA, keepServing, tt.keepCA, tt.keepServing)
			}
		})
	}
}
