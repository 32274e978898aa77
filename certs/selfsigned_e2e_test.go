package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// e2eTimeout bounds the wait for a replica's readiness, as kit.Timeout does the
// other waits; the rotator polls for its readiness with a backoff of seconds, and a
// 2-core CI machine runs several test binaries at once.
const e2eTimeout = 2 * time.Minute

// TestSelfSigned runs SetupSelfSigned against a real API server: what needs one
// (create-if-absent races, optimistic concurrency on the Secret, caBundle injection,
// watches) cannot be faked convincingly.
func TestSelfSigned(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("replicas share one CA", func(t *testing.T) {
		t.Parallel()
		testReplicasShareOneCA(t, c.Config(), k8s)
	})
	renewals := []struct {
		name        string
		servingEnd  time.Duration // from now
		wantRenewed bool
	}{
		{name: "near expiry is renewed", servingEnd: renewBefore / 2, wantRenewed: true},
		{name: "fresh is kept", servingEnd: servingValidity, wantRenewed: false},
	}
	for i, tt := range renewals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testRenewal(t, c.Config(), k8s, fmt.Sprintf("renewal-%d", i), tt.servingEnd, tt.wantRenewed)
		})
	}
}

// testReplicasShareOneCA starts two replicas on one absent Secret, whose rotators race
// to fill it, and checks that both serve the same CA's certificate and that every
// webhook of the configuration trusts that CA, also after someone clears a caBundle.
func testReplicasShareOneCA(t *testing.T, cfg *rest.Config, k8s client.Client) {
	opts := e2eOptions(t, k8s, "replicas")
	// SetupSelfSigned creates the Secret, so the replicas' creates are sequential here;
	// their rotators, which fill it, then start together.
	var replicas []replica
	for range 2 {
		o := opts
		o.CertDir = t.TempDir()
		replicas = append(replicas, startReplica(t, cfg, o))
	}
	for _, r := range replicas {
		r.waitReady(t)
	}

	secret := waitForCertDirs(t, k8s, replicas...)
	for _, host := range serviceDNSNames(opts.ServiceName, opts.ServiceNamespace) {
		if err := verifyServing(secret.Data[caCertKey], secret.Data[corev1.TLSCertKey], host); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	waitForCABundles(t, k8s, opts.WebhookConfigName, secret.Data[caCertKey])
	for _, r := range replicas {
		r.handshake(t, secret.Data[caCertKey])
	}

	// Someone (a `helm upgrade`, say) clears one webhook's caBundle: the rotator watches
	// the configuration and puts it back.
	config := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: opts.WebhookConfigName}, config); err != nil {
		t.Fatal(err)
	}
	config.Webhooks[1].ClientConfig.CABundle = nil
	if err := k8s.Update(t.Context(), config); err != nil {
		t.Fatal(err)
	}
	waitForCABundles(t, k8s, opts.WebhookConfigName, secret.Data[caCertKey])
}

// testRenewal starts a replica on a Secret whose serving certificate ends servingEnd
// from now, and checks that it is replaced (by one from the same CA) or kept.
func testRenewal(t *testing.T, cfg *rest.Config, k8s client.Client, name string, servingEnd time.Duration, wantRenewed bool) {
	opts := e2eOptions(t, k8s, name)
	opts.CertDir = t.TempDir()
	old := issue(t, opts, time.Now().Add(caValidity), time.Now().Add(servingEnd))
	if err := k8s.Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: opts.SecretNamespace, Name: opts.SecretName},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			caCertKey: old.caPEM, "ca.key": old.caKeyPEM, corev1.TLSCertKey: old.certPEM, corev1.TLSPrivateKeyKey: old.keyPEM,
		},
	}); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, cfg, opts)
	r.waitReady(t)

	secret := waitForCertDirs(t, k8s, r)
	if !bytes.Equal(secret.Data[caCertKey], old.caPEM) {
		t.Error("the CA was replaced; only the serving certificate was due")
	}
	renewed := !bytes.Equal(secret.Data[corev1.TLSCertKey], old.certPEM)
	if renewed != wantRenewed {
		t.Fatalf("serving certificate renewed = %v, want %v", renewed, wantRenewed)
	}
	rot := newRotator(opts, nil)
	if ok, err := rotator.ValidCert(secret.Data[caCertKey], secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey],
		rot.DNSName, rot.ExtKeyUsages, time.Now().Add(rot.LookaheadInterval)); !ok {
		t.Errorf("serving certificate still due for renewal: %v", err)
	}
	waitForCABundles(t, k8s, opts.WebhookConfigName, old.caPEM)
}

// e2eOptions makes a namespace and a two-webhook configuration named after name, and
// options for them; the Secret does not exist yet.
func e2eOptions(t *testing.T, k8s client.Client, name string) SelfSignedOptions {
	t.Helper()
	opts := testOptions("")
	opts.SecretNamespace, opts.ServiceNamespace, opts.WebhookConfigName = name, name, name
	if err := k8s.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(t.Context(), webhookConfig(opts)); err != nil {
		t.Fatal(err)
	}
	return opts
}

// webhookConfig is shaped like the chart's: one webhook per path, both on our Service,
// no caBundle yet. No namespace carries the selector's label, so the API server never
// calls them: this test is about the configuration, not admission.
func webhookConfig(opts SelfSignedOptions) *admissionregistrationv1.MutatingWebhookConfiguration {
	sideEffects := admissionregistrationv1.SideEffectClassNone
	failurePolicy := admissionregistrationv1.Ignore
	webhook := func(name, path string) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{
			Name: name,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{Namespace: opts.ServiceNamespace, Name: opts.ServiceName, Path: &path},
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"e2e.pullthrough.dev/never": "true"}},
			SideEffects:             &sideEffects,
			FailurePolicy:           &failurePolicy,
			AdmissionReviewVersions: []string{"v1"},
		}
	}
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: opts.WebhookConfigName},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{webhook("enforce.pullthrough.dev", "/mutate-pods"), webhook("audit.pullthrough.dev", "/audit-pods")},
	}
}

// replica is one webhook process: a manager running SetupSelfSigned.
type replica struct {
	name  string // in messages: the replica's certificate directory
	opts  SelfSignedOptions
	mgr   manager.Manager
	ready <-chan struct{}
}

// startReplica runs a manager with SetupSelfSigned(opts) until t ends. Several run
// in this one process, as SetupSelfSigned allows (it names each call's controllers
// apart).
func startReplica(t *testing.T, cfg *rest.Config, opts SelfSignedOptions) replica {
	t.Helper()
	name := "the replica on " + opts.CertDir
	mgr, err := manager.New(cfg, manager.Options{Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	ready, err := SetupSelfSigned(t.Context(), mgr, opts)
	if err != nil {
		t.Fatalf("SetupSelfSigned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager of %s: %v", name, err)
		}
	})
	return replica{name: name, opts: opts, mgr: mgr, ready: ready}
}

// waitReady fails t unless the replica's certificates are ready in time.
func (r replica) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-r.ready:
	case <-time.After(e2eTimeout):
		t.Fatalf("%s not ready after %s", r.name, e2eTimeout)
	}
}

// handshake starts controller-runtime's webhook server on the replica's CertDir, as
// cmd/pullthrough does once ready closes, and completes a TLS handshake with it as the
// API server would: trusting only caBundle and checking the Service's name.
func (r replica) handshake(t *testing.T, caBundle []byte) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	server := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: r.opts.CertDir})
	if err := r.mgr.Add(server); err != nil {
		t.Fatalf("adding the webhook server: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caBundle) {
		t.Fatal("caBundle holds no certificate")
	}
	dialer := tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: serviceDNSNames(r.opts.ServiceName, r.opts.ServiceNamespace)[0]}}
	kit.Eventually(t, "a TLS handshake with "+r.name+"'s webhook server", func(ctx context.Context) error {
		conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// waitForCertDirs waits until every replica's directory holds the Secret's current pair
// (readiness promises a pair from the Secret; a renewal at start may replace it just
// after) and returns the Secret.
func waitForCertDirs(t *testing.T, k8s client.Client, replicas ...replica) *corev1.Secret {
	t.Helper()
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: replicas[0].opts.SecretNamespace, Name: replicas[0].opts.SecretName}
	kit.Eventually(t, "certificate directories to match the Secret", func(ctx context.Context) error {
		if err := k8s.Get(ctx, key, secret); err != nil {
			return err
		}
		for _, r := range replicas {
			files := readCertDir(t, r.opts.CertDir)
			if !bytes.Equal(files.caPEM, secret.Data[caCertKey]) || !bytes.Equal(files.certPEM, secret.Data[corev1.TLSCertKey]) ||
				!bytes.Equal(files.keyPEM, secret.Data[corev1.TLSPrivateKeyKey]) {
				return fmt.Errorf("%s: its files differ from Secret %s", r.name, key)
			}
		}
		return nil
	})
	return secret
}

// waitForCABundles waits until every webhook of the configuration trusts exactly caPEM.
func waitForCABundles(t *testing.T, k8s client.Client, name string, caPEM []byte) {
	t.Helper()
	kit.Eventually(t, "caBundle injection", func(ctx context.Context) error {
		config := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, config); err != nil {
			return err
		}
		var errs []error
		for _, webhook := range config.Webhooks {
			if !bytes.Equal(webhook.ClientConfig.CABundle, caPEM) {
				errs = append(errs, fmt.Errorf("webhook %s: caBundle is not the Secret's CA", webhook.Name))
			}
		}
		return errors.Join(errs...)
	})
}
