// Package metricsauth lets only authorized clients read a process's
// /metrics (`--metrics-secure`): the bearer token of each request is
// reviewed by the API server (TokenReview), and the user it names must be
// allowed the request's verb on its non-resource URL (SubjectAccessReview,
// e.g. get on /metrics), as kube-rbac-proxy does. A missing or rejected
// token is answered 401, a user without the grant 403, a review the API
// server could not give 500; each answer is counted in
// pullthrough_metrics_requests_total{result}.
//
// Reviewer.Filter plugs into controller-runtime's metrics server
// (metricsserver.Options.FilterProvider), which serves HTTPS. It is not
// controller-runtime's own filters.WithAuthenticationAndAuthorization,
// which has the same contract and RBAC, because that one builds on
// k8s.io/apiserver's delegating authenticator and authorizer: linking it
// added 255 packages (gRPC, OpenTelemetry, CEL) to the binary, 57 -> 101 MB,
// and raised every process's resident memory at rest from about 40 to 55 MB,
// within the node agent's 64Mi limit whether or not metrics are secure.
//
// The process needs create on tokenreviews and subjectaccessreviews (the
// built-in ClusterRole system:auth-delegator); a scraper needs get on the
// non-resource URL /metrics. An allowed token is remembered for a minute,
// so a scraper costs the API server two reviews a minute per process, and a
// revoked grant stops working within that minute. Denials are not
// remembered: the reviews they cost are bounded by who can reach the port.
package metricsauth
