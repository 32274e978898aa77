package certs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/internal/atomicfile"
)

// servingPair is what a webhook server and its clients need from a certificate
// directory; the CA's private key is never part of it.
type servingPair struct {
	caPEM, certPEM, keyPEM []byte
}

// writeCertDir writes p into dir as ca.crt, tls.crt and tls.key (the names
// controller-runtime's webhook server reads by default), creating dir if needed.
// Each file is replaced by a rename, so a reader (certwatcher) never sees half a file,
// and an unchanged file is left alone, so rewriting the same pair triggers no reload.
func writeCertDir(dir string, p servingPair) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating certificate directory %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{caCertKey, p.caPEM, 0o644},
		{corev1.TLSPrivateKeyKey, p.keyPEM, 0o600},
		{corev1.TLSCertKey, p.certPEM, 0o644},
	}
	for _, f := range files {
		if err := replaceFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// replaceFile atomically sets path's content to data unless it already holds it.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	current, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(current, data):
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return atomicfile.Write(path, data, mode)
}
