// Package kit holds the helpers the end-to-end tests share, written once:
// namespaces (Namespace, CreateNamespace, ModeLabels), waiting for a
// condition (Eventually, Poll), the warnings a client is sent (Warnings),
// and the webhook's side of admission without an API server (State,
// ProxyState, PodRequest).
//
// Contract:
//   - Every helper takes the client or handler it works on; none starts a
//     control plane (package e2e/cluster does, and imports no package of this
//     module, for the modules of their own that use it: kit imports config
//     and webhook, so it cannot live there).
//   - A namespace made by Namespace is deleted when its test ends, before the
//     cluster started earlier in the test stops; CreateNamespace leaves it for
//     the cluster's end, for code outside a test and namespaces that must
//     outlive the subtest that makes them.
//   - Eventually and Poll wait at most Timeout, checking every 50 ms, and name
//     the check's last error when it never passes.
//   - The packages config and webhook imports (config, podspec, resolve,
//     rewrite, wellknown, internal/patch) and webhook itself cannot use kit in
//     their own tests: the import would be a cycle.
package kit
