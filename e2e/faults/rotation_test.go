//go:build faults

package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// The rotation faults serve the API server under the name localhost, which
// /etc/hosts resolves to loopback: a URL webhook is verified against its
// host name, and the self-signed mode's certificate holds the Service's
// names only, so its Service is called localhost.
const (
	rotationHost   = "localhost"
	rotationSecret = "pullthrough-webhook-tls"
)

// rotateFiles: cert-manager renews the serving certificate and kubelet swaps
// the Secret volume (one rename of ..data); twice mid-stream, from the same
// CA. The old certificate stays valid, so no request may fail open, and the
// process must serve the new one without a restart.
func (s *suite) rotateFiles(t *testing.T) {
	const ns = "rotate-files"
	ca := newIssuer(t, rotationHost)
	dir := &projectedDir{dir: t.TempDir()}
	dir.publish(t, ca.issue(t, 365*24*time.Hour))
	port := e2e.FreePort(t)
	s.rotationTarget(t, ns, port, ca.ca.CertPEM)
	startWebhook(t, s.bin, dir.dir, port)
	s.waitRewriting(t, ns)
	var pickedUp []time.Duration
	f, st := s.measure(t, ns, "serving certificate files replaced twice (kubelet's ..data swap)", func(d time.Duration) {
		for range 2 {
			time.Sleep(d / 3)
			next := ca.issue(t, 365*24*time.Hour)
			swapped := time.Now()
			dir.publish(t, next)
			waitServed(t, port, ca.ca.CertPEM, next[corev1.TLSCertKey])
			pickedUp = append(pickedUp, time.Since(swapped).Round(time.Millisecond))
		}
	})
	noneLost(t, f, st)
	if f.failOpen != 0 || f.unchanged != 0 {
		t.Errorf("a certificate swap failed open: %+v", f)
	}
	f.note = fmt.Sprintf("new certificate served %v after each swap, no restart", pickedUp)
	s.record(f)
}

// rotateSelfSigned: the built-in self-signed mode (--self-signed-secret)
// keeps the Secret, the files and the caBundle. Mid-stream the Secret's
// serving certificate is aged (replaced by one from the same CA that ends
// within the renewal window), and the rotator renews it: Secret, files and
// the served certificate follow, the CA stays, nothing fails open.
func (s *suite) rotateSelfSigned(t *testing.T) {
	const ns = "rotate-selfsigned"
	port := e2e.FreePort(t)
	s.rotationTarget(t, ns, port, nil) // the rotator injects the CA
	startWebhook(t, s.bin, t.TempDir(), port,
		"--self-signed-secret", ns+"/"+rotationSecret, "--self-signed-service", ns+"/"+rotationHost,
		"--webhook-config", ns, "--kubeconfig", s.kubeconfig)
	s.waitRewriting(t, ns)
	before := s.secret(t, ns)
	var renewedIn time.Duration
	f, st := s.measure(t, ns, "self-signed rotator renews the serving certificate", func(d time.Duration) {
		time.Sleep(d / 3)
		aged := s.ageServingCertificate(t, ns)
		start := time.Now()
		var renewed []byte
		// The fault's goroutine: kit.Poll, and t.Errorf rather than Fatal.
		if err := kit.Poll(t.Context(), func(ctx context.Context) error {
			secret, err := s.cs.CoreV1().Secrets(ns).Get(ctx, rotationSecret, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if renewed = secret.Data[corev1.TLSCertKey]; bytes.Equal(renewed, aged) {
				return errors.New("the Secret still holds the aged certificate")
			}
			return nil
		}); err != nil {
			t.Errorf("waiting for the rotator to renew the aged certificate: %v", err)
		}
		waitServed(t, port, before.Data["ca.crt"], renewed)
		renewedIn = time.Since(start).Round(time.Millisecond)
	})
	noneLost(t, f, st)
	if f.failOpen != 0 || f.unchanged != 0 {
		t.Errorf("the renewal failed open: %+v", f)
	}
	after := s.secret(t, ns)
	if !bytes.Equal(after.Data["ca.crt"], before.Data["ca.crt"]) {
		t.Error("the CA was replaced; only the serving certificate was due")
	}
	if bytes.Equal(after.Data[corev1.TLSCertKey], before.Data[corev1.TLSCertKey]) {
		t.Error("the serving certificate is the one from before the stream")
	}
	f.note = fmt.Sprintf("aged certificate renewed and served in %s; same CA", renewedIn)
	s.record(f)
}

// rotationTarget creates namespace ns, which the shipped webhooks leave
// alone (mode off), and a configuration of one enforce webhook for ns alone
// at https://localhost:port, trusting caBundle, named ns as well.
func (s *suite) rotationTarget(t *testing.T, ns string, port int, caBundle []byte) {
	t.Helper()
	kit.Namespace(t, s.cs, ns, kit.ModeLabels(config.ModeOff))
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	w := shipped.Webhooks[0] // enforce.pullthrough.dev: /mutate-pods
	w.Name = ns + ".pullthrough.dev"
	w.ClientConfig = admissionregistrationv1.WebhookClientConfig{
		URL: new("https://" + net.JoinHostPort(rotationHost, strconv.Itoa(port)) + "/mutate-pods"), CABundle: caBundle,
	}
	w.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns}, Webhooks: []admissionregistrationv1.MutatingWebhook{w}}
	if _, err := s.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(t.Context(), cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete webhook configuration %s: %v", ns, err)
		}
	})
}

// secret reads the self-signed mode's Secret in ns.
func (s *suite) secret(t *testing.T, ns string) *corev1.Secret {
	t.Helper()
	secret, err := s.cs.CoreV1().Secrets(ns).Get(t.Context(), rotationSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// ageServingCertificate replaces the serving pair of the Secret in ns with
// one from its CA that ends in 30 days, inside the 90-day renewal window, as
// if ten months had passed; it returns the aged certificate.
func (s *suite) ageServingCertificate(t *testing.T, ns string) []byte {
	var aged []byte
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		secret, err := s.cs.CoreV1().Secrets(ns).Get(t.Context(), rotationSecret, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ca, err := issuerFromSecret(secret, rotationHost+"."+ns+".svc", rotationHost)
		if err != nil {
			return err
		}
		pair := ca.issue(t, 30*24*time.Hour)
		aged = pair[corev1.TLSCertKey]
		secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey] = aged, pair[corev1.TLSPrivateKeyKey]
		_, err = s.cs.CoreV1().Secrets(ns).Update(t.Context(), secret, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Errorf("age the serving certificate in %s/%s: %v", ns, rotationSecret, err)
	}
	return aged
}

// issuer signs serving certificates with a CA, through cert-controller's
// generator, the one the self-signed mode uses.
type issuer struct {
	rot *rotator.CertRotator
	ca  *rotator.KeyPairArtifacts
}

// newIssuer makes a fresh CA for certificates naming dnsNames.
func newIssuer(t *testing.T, dnsNames ...string) issuer {
	t.Helper()
	i := issuer{rot: generator(dnsNames)}
	ca, err := i.rot.CreateCACert(time.Now().Add(-time.Hour), time.Now().Add(10*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	i.ca = ca
	return i
}

// issuerFromSecret signs with the CA the self-signed mode keeps in secret.
func issuerFromSecret(secret *corev1.Secret, dnsNames ...string) (issuer, error) {
	certBlock, _ := pem.Decode(secret.Data["ca.crt"])
	keyBlock, _ := pem.Decode(secret.Data["ca.key"])
	if certBlock == nil || keyBlock == nil {
		return issuer{}, fmt.Errorf("secret %s/%s: ca.crt or ca.key is not PEM", secret.Namespace, secret.Name)
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return issuer{}, fmt.Errorf("secret %s/%s: ca.crt: %w", secret.Namespace, secret.Name, err)
	}
	key, err := x509.ParsePKCS1PrivateKey(keyBlock.Bytes)
	if err != nil {
		return issuer{}, fmt.Errorf("secret %s/%s: ca.key: %w", secret.Namespace, secret.Name, err)
	}
	return issuer{rot: generator(dnsNames), ca: &rotator.KeyPairArtifacts{
		Cert: cert, Key: key, CertPEM: secret.Data["ca.crt"], KeyPEM: secret.Data["ca.key"],
	}}, nil
}

// generator is cert-controller's rotator, used only to make certificates.
func generator(dnsNames []string) *rotator.CertRotator {
	return &rotator.CertRotator{
		CAName: "pullthrough-faults-ca", CAOrganization: "pullthrough e2e",
		DNSName: dnsNames[0], ExtraDNSNames: dnsNames[1:],
		ExtKeyUsages: &[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// issue returns a serving pair valid from an hour ago for validFor, keyed
// by the file names a certificate directory uses.
func (i issuer) issue(t *testing.T, validFor time.Duration) map[string][]byte {
	certPEM, keyPEM, err := i.rot.CreateCertPEM(i.ca, time.Now().Add(-time.Hour), time.Now().Add(validFor))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"ca.crt": i.ca.CertPEM, corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM}
}

// projectedDir lays files out as kubelet does in a Secret volume: each name
// a symlink through ..data into a directory of one generation, so that one
// rename of ..data replaces every file at once.
type projectedDir struct {
	dir string
	gen int
}

// publish makes files the directory's content, all at once.
func (p *projectedDir) publish(t *testing.T, files map[string][]byte) {
	t.Helper()
	p.gen++
	generation := fmt.Sprintf("..gen-%d", p.gen)
	if err := os.Mkdir(filepath.Join(p.dir, generation), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(p.dir, generation, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data, tmp := filepath.Join(p.dir, "..data"), filepath.Join(p.dir, "..data_tmp")
	previous, _ := os.Readlink(data) // none the first time
	if err := os.Symlink(generation, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, data); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(p.dir, name)
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	if previous != "" {
		if err := os.RemoveAll(filepath.Join(p.dir, previous)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitServed waits until a TLS handshake with localhost:port, trusting
// caPEM as the API server does, presents certPEM. It runs in a fault's
// goroutine, so it fails t with Errorf.
func waitServed(t *testing.T, port int, caPEM, certPEM []byte) {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	roots := x509.NewCertPool()
	if block == nil || !roots.AppendCertsFromPEM(caPEM) {
		t.Error("waitServed: a certificate or the CA is not PEM")
		return
	}
	dialer := tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: rotationHost, MinVersion: tls.VersionTLS12}}
	if err := kit.Poll(t.Context(), func(ctx context.Context) error {
		conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(rotationHost, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		defer conn.Close()
		if served := conn.(*tls.Conn).ConnectionState().PeerCertificates[0].Raw; !bytes.Equal(served, block.Bytes) {
			return errors.New("the previous certificate is still served")
		}
		return nil
	}); err != nil {
		t.Errorf("waiting for the new certificate to be served: %v", err)
	}
}
