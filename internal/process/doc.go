// Package process is the plumbing every verb of the binary shares, so that
// each command is flags in, one call, an exit code out:
//
//   - Kube, the one way to build Kubernetes clients: from --kubeconfig (or
//     in-cluster config, or $KUBECONFIG), or from one context of a loaded
//     kubeconfig (`report`), with the caller's rate and timeout. A
//     kubeconfig that cannot be used is a *KubeconfigError, which the
//     binary exits 2 on: it is configuration, like a bad flag.
//   - Process, the skeleton of a long-running verb (the webhook, `policy
//     --apply --watch`, the node agent): its logger, the registry its
//     /metrics serve, the pieces it runs until SIGTERM (Run: all of them,
//     until the first fails), and its listeners: Metrics (optionally
//     authenticated by internal/metricsauth) and Probes (/healthz, /readyz).
//   - ServerTLS, the TLS of every server the binary runs.
//
// It holds no logic of a verb: what a process runs is the caller's.
package process
