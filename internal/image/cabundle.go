package image

import (
	"bytes"
	"encoding/pem"
	"fmt"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// CABundlePath is where the image carries its CA certificates: the first
// file Go's crypto/x509 reads on Linux, and the path of Debian's and
// distroless's bundle, so SSL_CERT_FILE needs no setting.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

// CABundle returns the PEM bundle of the Mozilla roots in
// golang.org/x/crypto/x509roots/fallback, the version go.sum pins: no
// download, no distribution package, the same bytes on every machine. Roots
// that Mozilla constrains (trusted only for certificates issued before a
// distrust date) are left out, since a PEM file cannot carry the constraint
// and trusting them without it would trust more than Mozilla does.
func CABundle() ([]byte, error) {
	var buf bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, fmt.Errorf("encoding a CA certificate: %w", err)
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("golang.org/x/crypto/x509roots/fallback/bundle: no unconstrained root")
	}
	return buf.Bytes(), nil
}
