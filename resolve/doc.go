// Package resolve asks a registry whether it serves an image reference, the way a
// node's runtime would before pulling it: the registry protocol through
// go-containerregistry, over TLS that trusts an optional private CA bundle, with the
// credentials of Kubernetes pull secrets (kubernetes.io/dockerconfigjson), of a docker
// config file (its credential helpers included), or of Amazon ECR from the process's
// AWS credentials. `pullthrough migrate --verify` and `pullthrough verify` use it as a
// preflight before enforce; the e2e suite uses the same transport to pull.
//
// Contract:
//   - Which registry a host or reference names is package rewrite's one registry
//     identity (rewrite.CanonicalHost: case, the default port and Docker Hub's
//     aliases fold together), never a spelling of this package's own;
//     go-containerregistry parses a reference only to address the request.
//   - Every request to a registry host named in Transport's httpsHosts goes over
//     HTTPS, also for loopback and private addresses, which go-containerregistry
//     would otherwise contact over plain HTTP: a proxy is reached exactly as a
//     runtime reaches it.
//   - Credentials are matched by registry identity only, as kubelet matches pull
//     secrets by registry; a registry without credentials is contacted anonymously.
//   - A docker config file is read as docker reads it: `credHelpers` and `credsStore`
//     run docker-credential-NAME from PATH. A pull secret's helpers are not run: the
//     kubelet does not run them either.
//   - ECR tokens come from package resolve/ecr, kept apart so that what imports
//     resolve (the webhook, the e2e harness, the separate modules) does not import
//     the AWS SDK.
//   - Credentials that cannot be had (a failing or missing helper, no AWS
//     credentials) make a check unauthorized, with the reason, never unreachable.
//   - Preflight is the one loop of both commands: each distinct image (in the
//     namespace whose credentials pull it) is asked about once, through a
//     Verifier; which images pull through the proxy is the caller's
//     rewrite.Outcome.ThroughProxy.
package resolve
