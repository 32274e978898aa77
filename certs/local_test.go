package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteSelfSignedVerifies(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "certs") // not there yet: WriteSelfSigned creates it
	hosts := []string{"localhost", "pullthrough.pullthrough-system.svc", "*.demo.test", "127.0.0.1", "::1"}
	caPEM, err := WriteSelfSigned(dir, hosts, time.Hour)
	if err != nil {
		t.Fatalf("WriteSelfSigned: %v", err)
	}
	files := readCertDir(t, dir)
	if !bytes.Equal(files.caPEM, caPEM) {
		t.Errorf("ca.crt differs from the returned CA")
	}
	if _, err := tls.X509KeyPair(files.certPEM, files.keyPEM); err != nil {
		t.Errorf("tls.crt and tls.key are not a pair: %v", err)
	}

	tests := []struct {
		name, host string
		valid      bool
	}{
		{name: "dns name", host: "localhost", valid: true},
		{name: "service name", host: "pullthrough.pullthrough-system.svc", valid: true},
		{name: "wildcard", host: "webhook.demo.test", valid: true},
		{name: "ipv4", host: "127.0.0.1", valid: true},
		{name: "ipv6", host: "::1", valid: true},
		// Names the certificate was not made for must fail, or the check above proves nothing.
		{name: "other dns name", host: "evil.example.com", valid: false},
		{name: "parent of a listed name", host: "pullthrough-system.svc", valid: false},
		{name: "other ip", host: "127.0.0.2", valid: false},
		// A wildcard covers one label only.
		{name: "two labels under a wildcard", host: "a.b.demo.test", valid: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := verifyServing(caPEM, files.certPEM, tt.host)
			if tt.valid != (err == nil) {
				t.Fatalf("verify for %q: err = %v, want valid = %v", tt.host, err, tt.valid)
			}
		})
	}
}

func TestWriteSelfSignedValidity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const validity = 48 * time.Hour
	if _, err := WriteSelfSigned(dir, []string{"localhost"}, validity); err != nil {
		t.Fatalf("WriteSelfSigned: %v", err)
	}
	files := readCertDir(t, dir)
	for name, data := range map[string][]byte{"ca.crt": files.caPEM, "tls.crt": files.certPEM} {
		cert := parseCert(t, data)
		if got := time.Until(cert.NotAfter); got < validity-time.Minute || got > validity {
			t.Errorf("%s expires in %s, want about %s", name, got, validity)
		}
		if time.Now().Before(cert.NotBefore) {
			t.Errorf("%s is not valid yet: NotBefore %s", name, cert.NotBefore)
		}
	}
	info, err := os.Stat(filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("tls.key mode = %v, want 0600", mode)
	}
}

func TestWriteSelfSignedRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dir      string
		hosts    []string
		validity time.Duration
	}{
		{name: "no dir", dir: "", hosts: []string{"localhost"}, validity: time.Hour},
		{name: "no hosts", dir: "d", hosts: nil, validity: time.Hour},
		{name: "empty host", dir: "d", hosts: []string{"localhost", ""}, validity: time.Hour},
		// From --local-cert-hosts "localhost, 127.0.0.1": the space would make a name no client matches.
		{name: "host with a space", dir: "d", hosts: []string{"localhost", " 127.0.0.1"}, validity: time.Hour},
		{name: "host with a port", dir: "d", hosts: []string{"localhost:9443"}, validity: time.Hour},
		{name: "zero validity", dir: "d", hosts: []string{"localhost"}, validity: 0},
		{name: "negative validity", dir: "d", hosts: []string{"localhost"}, validity: -time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir != "" {
				dir = filepath.Join(t.TempDir(), dir)
			}
			if _, err := WriteSelfSigned(dir, tt.hosts, tt.validity); err == nil || !strings.HasPrefix(err.Error(), invalidOption+": ") {
				t.Fatalf("WriteSelfSigned error = %v, want an invalid option", err)
			}
			if dir != "" {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created for invalid input", dir)
				}
			}
		})
	}
}

// readCertDir reads back what writeCertDir wrote.
func readCertDir(t *testing.T, dir string) servingPair {
	t.Helper()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return servingPair{caPEM: read("ca.crt"), certPEM: read("tls.crt"), keyPEM: read("tls.key")}
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
