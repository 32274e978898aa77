package certs

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// defaultControllerName prefixes the controllers SetupSelfSigned adds (in logs and metrics).
const defaultControllerName = "pullthrough-certs"

// setups counts this process's SetupSelfSigned calls. controller-runtime and
// cert-controller refuse a controller name a process has already used (logs
// and metrics are keyed by it), so a process that keeps more than one Secret
// (the e2e tests run two replicas in one) must not name its controllers twice.
var setups atomic.Int64

// controllerName prefixes the controllers of one SetupSelfSigned call: the
// default for the first call of the process, numbered after it for the rest.
func controllerName() string {
	if n := setups.Add(1); n > 1 {
		return fmt.Sprintf("%s-%d", defaultControllerName, n)
	}
	return defaultControllerName
}

// SetupSelfSigned makes mgr keep a self-signed CA and serving certificate in the Secret,
// this replica's copy in CertDir and the CA in every webhook of the webhook
// configuration. It creates the Secret if absent (the rotator only updates one), so it
// needs the API server and ctx bounds that call; the rest runs once mgr starts, on every
// replica, leader or not. The returned channel closes when CertDir holds the Secret's
// pair and the CA has been injected: start the webhook server only then, since
// controller-runtime's server fails to start without tls.crt and tls.key.
func SetupSelfSigned(ctx context.Context, mgr manager.Manager, opts SelfSignedOptions) (<-chan struct{}, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ensureSecret(ctx, mgr.GetClient(), opts); err != nil {
		return nil, err
	}
	name := controllerName()
	written, err := addSecretFiles(mgr, opts, name+"-files")
	if err != nil {
		return nil, err
	}
	injected := make(chan struct{})
	rot := newRotator(opts, injected)
	rot.ControllerName = name + "-rotator"
	if err := rotator.AddRotator(mgr, rot); err != nil {
		return nil, fmt.Errorf("adding the certificate rotator for Secret %s/%s: %w", opts.SecretNamespace, opts.SecretName, err)
	}
	ready := make(chan struct{})
	closeWhenAll := manager.RunnableFunc(func(ctx context.Context) error {
		for _, ch := range []<-chan struct{}{written, injected} {
			select {
			case <-ch:
			case <-ctx.Done():
				return nil
			}
		}
		close(ready)
		return nil
	})
	if err := mgr.Add(everyReplica{closeWhenAll}); err != nil {
		return nil, fmt.Errorf("adding the certificate readiness signal: %w", err)
	}
	return ready, nil
}

// ensureSecret creates the Secret, empty, unless it exists. Replicas starting together
// all try; one wins and the rest get AlreadyExists. Whoever then fills it first wins too:
// the rotator updates with the resourceVersion it read, so the others' updates conflict
// and they re-read the winner's CA instead of installing their own.
func ensureSecret(ctx context.Context, c client.Client, opts SelfSignedOptions) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: opts.SecretNamespace, Name: opts.SecretName},
		Type:       corev1.SecretTypeTLS,
		// A kubernetes.io/tls Secret must have both keys; empty until the rotator fills them.
		Data: map[string][]byte{corev1.TLSCertKey: {}, corev1.TLSPrivateKeyKey: {}},
	}
	err := c.Create(ctx, secret, client.FieldOwner(fieldOwner))
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating Secret %s/%s: %w", opts.SecretNamespace, opts.SecretName, err)
	}
	return nil
}

// everyReplica runs a Runnable on every replica, leader or not: followers must serve
// certificates too, and the manager puts a Runnable that does not say so (a cache, a
// RunnableFunc) in its leader-election group.
type everyReplica struct{ manager.Runnable }

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (everyReplica) NeedLeaderElection() bool { return false }
