// Package cluster runs a real Kubernetes control plane on loopback for end-to-end tests:
// etcd and kube-apiserver through controller-runtime's envtest, and optionally
// kube-controller-manager as a child process, so that a Deployment really becomes
// ReplicaSets and Pods that pass through admission (our mutating webhook included).
//
// Contract:
//   - The binaries are built from source by hack/e2e-bins.sh (make e2e-bins) into a
//     cache outside the repository; AssetsDir finds them from the versions pinned in
//     hack/versions.env, or takes $KUBEBUILDER_ASSETS when that is set. Start fails,
//     naming the missing file and the command to build it, when they are absent.
//   - Every address is on 127.0.0.1 with a free port, every file under a temporary
//     directory: clusters in parallel test binaries do not collide, and Stop removes
//     every process and file Start created, the controller manager first.
//   - There is no scheduler and no kubelet: Pods are created and admitted but stay
//     Pending. CreateNodes adds Ready Node objects so that DaemonSets create Pods.
//   - The ServiceAccount admission plugin is off (envtest's default), so Pods need no
//     ServiceAccount object and a Pod may be created right after its Namespace.
//   - Webhook configurations passed in Options are installed with their clientConfig
//     pointing at WebhookServing's host and port and a caBundle for the certificate in
//     its directory; the caller serves them, e.g. with `pullthrough webhook --cert-dir`.
//     Only a clientConfig.service with a path is redirected (a url is left as is). The
//     API server loads the configurations asynchronously: before relying on a webhook,
//     probe with dry-run creates until it answers.
//   - Options.Audit turns kube-apiserver's audit log on with the caller's policy
//     (AuditPodCreates: pod creates with the stored pod, which alone names a pod
//     created from generateName); AuditEvents reads what is written so far, and
//     ValidationFailures the annotation a ValidatingAdmissionPolicy's Audit action
//     adds. Events are written as requests finish: poll for one just made.
//   - StartForTest is the usual entry point: it skips under -short and fails, never
//     skips, when the binaries are missing.
package cluster
