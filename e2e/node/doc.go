// Package node holds the end-to-end tests that run pods on a real node: the
// kubelet and kube-scheduler at the pinned Kubernetes version, containerd 2.x
// pulling through its CRI's transfer service, runc and a loopback CNI network,
// all started by package e2e/cluster beside a real control plane. The promise
// is judged on pod phase, on the kubelet's events and on the request logs of
// the proxies and upstreams (package e2e/registry), never on a library call.
//
// The node reaches "the internet" only through the registry Set's world: an
// HTTPS forward proxy that answers for registry-1.docker.io, quay.io,
// registry.k8s.io... from their upstreams, so that a pull that bypasses
// pullthrough reaches the Docker Hub stand-in under its real name and is
// counted there as coming from the node (registry.NodeAddr).
//
// The lab installs pullthrough's final-state guard beside the webhook, as
// `pullthrough policy --guard warn` prints it, and keeps the API server's audit
// log of pod creates: the guard's Audit action is how a test sees a pod that a
// controller created while the webhook failed open (Lab.Guarded).
//
// Every scenario runs on one node, one after another, in TestNode; each uses
// image names of its own so that the node's image store is fresh for it.
// The tests are skipped only under -short; on a machine that cannot run the
// node they fail with the reason.
package node
