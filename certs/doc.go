// Package certs provides the webhook's serving certificates when cert-manager does not:
// a built-in self-signed mode for the cluster, and a one-shot generator for local runs.
//
// Contract:
//
//   - SetupSelfSigned (`pullthrough webhook --self-signed-secret NS/NAME
//     --self-signed-service NS/NAME --webhook-config NAME --cert-dir DIR`) keeps a CA
//     (ca.crt, ca.key) and a serving certificate (tls.crt, tls.key) for the Service's
//     names (<svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local) in one
//     Secret shared by every replica; writes ca.crt, tls.crt and tls.key (never the CA
//     key) into the replica's DIR, where controller-runtime's webhook server and its
//     certwatcher read them; sets the CA as caBundle of every webhook in the
//     MutatingWebhookConfiguration, and sets it again if someone changes it; and
//     replaces a certificate 90 days before it expires (serving: 1 year, CA: 10 years),
//     checked every 12 hours and on every change to the Secret or the configuration.
//   - Replicas agree on one CA: each creates the Secret if absent (AlreadyExists is
//     fine), then fills it only through an update conditional on the resourceVersion it
//     read, so the loser of a race re-reads the winner's CA. No leader election is used;
//     every replica runs all of this, because every replica serves.
//   - The channel SetupSelfSigned returns closes once DIR holds a pair from the Secret
//     and the CA has been injected; the webhook server must start only then, since it
//     fails to start without tls.crt and tls.key.
//   - WriteSelfSigned generates a fresh CA and a certificate for given DNS names and IP
//     addresses into a directory, talks to no API server, and returns the CA to trust.
//   - Invalid options and arguments are reported as errors starting with "invalid
//     option" that name the field, its flag and the value.
//
// Known limits: a Secret deleted while running is recreated only by a restart (the
// replicas keep serving their files meanwhile); when the CA itself is replaced, once a
// decade, a replica that has not yet written the new pair fails TLS for the seconds it
// takes (the chart's failurePolicy Ignore lets pods through unrewritten meanwhile).
//
// Why cert-controller's rotator, and what is ours. We evaluated
// github.com/open-policy-agent/cert-controller v0.16.0 pkg/rotator (Gatekeeper's): it
// builds with controller-runtime v0.25.2; it runs without leader election
// (RequireLeaderElection false); it generates and renews the CA and serving pair with a
// lookahead; it writes the Secret with Update, so concurrent replicas settle on one
// CA; it injects caBundle into every entry of the webhook configuration and re-injects on
// change; it signals readiness by closing IsReady once the certificate file exists and
// the CA is injected. That is the hard part, so we use it. It lacks two things we add:
//   - It never creates the Secret: its first read fails on a missing one and the
//     manager stops. ensureSecret creates it, empty, before the manager starts.
//   - It never writes files: it waits for kubelet to project the Secret into CertDir,
//     which needs the Secret before the pod starts and lags updates by up to a minute.
//     secretFiles watches the one Secret and writes the pair into CertDir itself.
//
// Its serving-certificate generator has no IP addresses, so WriteSelfSigned uses the
// rotator's CA generator (CreateCACert) but signs the serving certificate itself.
package certs
