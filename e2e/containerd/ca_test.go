package containerd

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// writeCA writes the certificate of net/http/httptest's TLS servers (one
// fixed self-signed certificate for 127.0.0.1) as a PEM file: the CA that
// the host files name in `ca`.
func writeCA(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	p := filepath.Join(t.TempDir(), "proxy-ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, block, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
