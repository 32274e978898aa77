package certs

import (
	"crypto/x509"
	"slices"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Lifetimes of the in-cluster certificates. A certificate is replaced when it would no
// longer be valid renewBefore from now, checked every checkEvery and whenever the Secret
// or the webhook configuration changes; servingValidity must exceed renewBefore, or
// every check would replace a fresh certificate.
const (
	caValidity      = 10 * 365 * 24 * time.Hour
	servingValidity = 365 * 24 * time.Hour
	renewBefore     = 90 * 24 * time.Hour
	checkEvery      = 12 * time.Hour
)

// Names written into the certificates and onto the objects we update.
const (
	caName         = "pullthrough-webhook-ca"
	caOrganization = "pullthrough"
	fieldOwner     = "pullthrough-certs"
	// caCertKey is the Secret key and file name of the CA certificate, as the rotator
	// spells it (it keeps the CA key under ca.key, which we never write to disk).
	caCertKey = "ca.crt"
)

// servingUsages are the extended key usages of the serving certificate; the rotator
// also checks them when it decides whether a certificate is still good.
var servingUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

// serviceDNSNames lists the names a client may use for the Service, the one the API
// server dials for a service-referenced webhook (<svc>.<ns>.svc) first.
func serviceDNSNames(service, namespace string) []string {
	return []string{
		service + "." + namespace + ".svc",
		service,
		service + "." + namespace,
		service + "." + namespace + ".svc.cluster.local",
	}
}

// newRotator configures cert-controller's rotator for opts: one Secret, one mutating
// webhook configuration, closing ready once the files exist and the CA is injected.
func newRotator(opts SelfSignedOptions, ready chan struct{}) *rotator.CertRotator {
	names := serviceDNSNames(opts.ServiceName, opts.ServiceNamespace)
	usages := slices.Clone(servingUsages) // the rotator gets a pointer; keep ours intact
	return &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: opts.SecretNamespace, Name: opts.SecretName},
		CertDir:        opts.CertDir,
		CAName:         caName,
		CAOrganization: caOrganization,
		DNSName:        names[0],
		ExtraDNSNames:  names[1:],
		IsReady:        ready,
		Webhooks:       []rotator.WebhookInfo{{Name: opts.WebhookConfigName, Type: rotator.Mutating}},
		FieldOwner:     fieldOwner,
		ExtKeyUsages:   &usages,
		// Every replica runs the rotator; the Secret's resourceVersion settles races.
		RequireLeaderElection: false,
		// certwatcher reloads the rewritten files; no need to restart the process.
		RestartOnSecretRefresh: false,
		// Inject the CA only once this replica's files exist, so the API server is not
		// told to trust a CA before anyone serves a certificate it signed.
		EnableReadinessCheck:   true,
		CaCertDuration:         caValidity,
		ServerCertDuration:     servingValidity,
		RotationCheckFrequency: checkEvery,
		LookaheadInterval:      renewBefore,
		CertName:               corev1.TLSCertKey,
		KeyName:                corev1.TLSPrivateKeyKey,
	}
}
