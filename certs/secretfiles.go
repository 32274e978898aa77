package certs

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// secretFiles copies the shared Secret's serving pair into this replica's certificate
// directory. The rotator only keeps the Secret current and expects kubelet to project
// it as a volume, but a Secret volume must exist before the pod starts and lags updates
// by up to a minute; writing the files ourselves has neither problem.
type secretFiles struct {
	secrets client.Reader
	key     types.NamespacedName
	dir     string
	written chan struct{} // closed once a complete pair is on disk
	once    sync.Once
}

// addSecretFiles runs a secretFiles controller, named name, on every replica, watching
// only the one Secret, and returns a channel closed once its first pair is written.
func addSecretFiles(mgr manager.Manager, opts SelfSignedOptions, name string) (<-chan struct{}, error) {
	key := types.NamespacedName{Namespace: opts.SecretNamespace, Name: opts.SecretName}
	secrets, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme:               mgr.GetScheme(),
		Mapper:               mgr.GetRESTMapper(),
		DefaultNamespaces:    map[string]cache.Config{key.Namespace: {}},
		DefaultFieldSelector: fields.OneTermEqualSelector("metadata.name", key.Name),
	})
	if err != nil {
		return nil, fmt.Errorf("creating a cache for Secret %s: %w", key, err)
	}
	if err := mgr.Add(everyReplica{secrets}); err != nil {
		return nil, fmt.Errorf("adding the cache for Secret %s: %w", key, err)
	}
	files := &secretFiles{secrets: secrets, key: key, dir: opts.CertDir, written: make(chan struct{})}
	c, err := controller.NewUnmanaged(name, controller.Options{
		Reconciler:         files,
		NeedLeaderElection: new(false),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller writing Secret %s to %s: %w", key, opts.CertDir, err)
	}
	if err := c.Watch(source.Kind(secrets, &corev1.Secret{}, &handler.TypedEnqueueRequestForObject[*corev1.Secret]{})); err != nil {
		return nil, fmt.Errorf("watching Secret %s: %w", key, err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the controller writing Secret %s to %s: %w", key, opts.CertDir, err)
	}
	return files.written, nil
}

// Reconcile writes the Secret's pair to the directory once the rotator has filled it.
func (s *secretFiles) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	secret := &corev1.Secret{}
	if err := s.secrets.Get(ctx, s.key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted: keep serving the files we have; see doc.go.
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("reading Secret %s: %w", s.key, err)
	}
	pair, err := pairFromSecret(secret)
	if err != nil {
		log.FromContext(ctx).V(1).Info("waiting for the rotator to fill the Secret", "reason", err.Error())
		return reconcile.Result{}, nil
	}
	if err := writeCertDir(s.dir, pair); err != nil {
		return reconcile.Result{}, fmt.Errorf("writing Secret %s to %s: %w", s.key, s.dir, err)
	}
	s.once.Do(func() { close(s.written) })
	return reconcile.Result{}, nil
}

// pairFromSecret takes the serving pair out of secret, refusing an incomplete one (the
// empty Secret SetupSelfSigned creates) or a certificate that does not match its key.
func pairFromSecret(secret *corev1.Secret) (servingPair, error) {
	p := servingPair{
		caPEM:   secret.Data[caCertKey],
		certPEM: secret.Data[corev1.TLSCertKey],
		keyPEM:  secret.Data[corev1.TLSPrivateKeyKey],
	}
	if len(p.caPEM) == 0 {
		return servingPair{}, fmt.Errorf("secret %s/%s: %s is empty", secret.Namespace, secret.Name, caCertKey)
	}
	if _, err := tls.X509KeyPair(p.certPEM, p.keyPEM); err != nil {
		return servingPair{}, fmt.Errorf("secret %s/%s: %s and %s: %w",
			secret.Namespace, secret.Name, corev1.TLSCertKey, corev1.TLSPrivateKeyKey, err)
	}
	return p, nil
}
