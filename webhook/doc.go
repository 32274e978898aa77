// Package webhook is the mutating admission webhook for Pods: it routes every
// image of every container list through package rewrite and answers with a
// JSON patch.
//
// Contract:
//   - Three paths (Path), chosen by the API server from the namespace label
//     wellknown.LabelMode (pullthrough.dev/mode), so the handler needs no
//     API call for the mode. A path stands for the namespace's mode, and
//     config.Config.ModeIn gives the mode in force: PathMutate applies the
//     config's mode, PathAudit only counts, warns and annotates, and
//     PathAuditUnknownMode (a label value that is not a mode) audits and
//     also warns that the label is unknown.
//   - Scoped mirrors route by the request's namespace (rewrite.Rewriter.In,
//     picked in one place, inNamespace): its name, and, only when a mirror
//     has a namespaceSelector, its labels from the NamespaceLabels the
//     binary sets (a metadata-only namespace informer). A namespace whose
//     labels cannot be read routes as an unlabelled one, logged and counted;
//     a reloaded config with the first selector, in a process started
//     without NamespaceLabels, is rejected.
//   - CREATE rewrites every image. UPDATE (of pods, or of the
//     pods/ephemeralcontainers subresource) rewrites only images that differ
//     from oldObject, so an unrelated change never restarts a container.
//   - The handler is idempotent: run on its own output it returns no patch,
//     which is what reinvocationPolicy IfNeeded needs to rewrite a sidecar
//     that a later webhook injected.
//   - The pod is read into a small shape (names and images per container
//     list, labels, annotations, pull secrets) and the answer is exact JSON
//     patch operations, each image replace guarded by a test of its old
//     value; nothing else of the object is rewritten, so fields this
//     binary's API types do not know are never dropped.
//   - It must never be why a pod fails to start: a request it cannot read
//     gets an error response (the API server's failurePolicy decides), and
//     an internal error allows the pod unchanged, logged and counted. The
//     one denial is asked for: unrouted: deny, where enforce is in force, for
//     an image from a public registry that no mirror covers.
//   - Its work is bounded (Limits), so no request can make it run out of
//     memory: bodies are let in by Content-Length within a budget of bytes
//     in flight (HTTP 429 with Retry-After when there is no room), read and
//     answered within deadlines, a pod of more images than MaxPodImages is
//     admitted as written with one warning, and an answer carries at most
//     MaxWarnings per-image warnings. The image cap and the wording are
//     wellknown's, shared with the policy engine.
//   - On CREATE, the original-images record keeps only entries of the pod's
//     own images: the rest were written by the pod's author.
//   - Drain takes a replica out of service before it stops serving, so a
//     rolling restart leaves no request to fail open.
//   - Before an image is pointed at the proxy (enforce, servedCheck on), the
//     proxy must be known to serve the rewritten reference: a verdict cached
//     per reference (bounded, expiring, kept across reloads), or one manifest
//     HEAD, shared by concurrent requests, waited for at most
//     servedCheck.budget. A refusal (404), or no answer within the budget
//     under onTimeout direct, leaves the image as written (not-served); a
//     check that fails gives no verdict and the image is rewritten. The
//     handler still reads nothing from the cluster: the proxy's login is a
//     mounted file, or the process's own ECR credentials (UseKeychain).
//   - The Routing (liveconfig's Snapshot of the config in force and what the
//     handler derives from it: the withholding rewriters, the proxy client,
//     the served check) and proxy health are read per request from a State
//     that follows a liveconfig.Live: each reloaded config's Routing is built
//     before it is put in force and swapped whole, and a config whose
//     Routing does not build is refused, so an invalid new config never
//     replaces a valid one. Loading, watching and counting reloads are
//     liveconfig's.
package webhook
