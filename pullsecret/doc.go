// Package pullsecret keeps pods from being pointed at a proxy that needs
// credentials their namespace lacks (since Kubernetes 1.35 the kubelet checks
// a pod's own credentials even for an image already on the node, KEP-2535).
//
// The contract:
//   - Index knows which namespaces hold a Secret of each name it watches, so
//     that the webhook (webhook.State.CheckPullSecrets) answers from memory
//     and makes no API call on the admission path. One informer per name,
//     over every namespace, lists and watches with the field selector
//     metadata.name=NAME, which the API server authorizes by RBAC
//     resourceNames, and asks for metadata only (PartialObjectMetadata): no
//     Secret's data is ever sent to the process. Until a name's first list is
//     done every namespace lacks it, which leaves images where they were.
//   - Replicator (opt-in) copies one Secret from a source namespace (the
//     release's) into every namespace whose pods are rewritten: enforce in
//     force (config.Config.ModeIn of the namespace's label), not excluded,
//     not terminating, not the source's. It acts on each namespace as it
//     appears and on all of them at start, so the copy is there before a pod
//     needs it; a pod admitted before it is left direct by the check.
//   - A copy carries wellknown.LabelCopiedFrom (the source namespace) and
//     wellknown.AnnotationSourceHash; the replicator writes and deletes only
//     Secrets with that label, so one someone else wrote under the same name
//     is left alone. A source change rewrites every copy whose hash differs
//     (rotation); a deleted source deletes every copy; a namespace that stops
//     qualifying keeps its copy (the pods rewritten there still pull with
//     it), kept current until the source goes. With an owner (the chart's
//     ClusterRole) every copy names it, so the garbage collector deletes the
//     copies when the replicator is switched off or the release uninstalled.
//   - Writes are server-side applies and deletes by name, with the copy's
//     resourceVersion (and UID) as precondition where one exists: every verb
//     on Secrets can be limited to the one name by RBAC resourceNames (an
//     apply that creates is authorized by name). Every replica runs the
//     replicator; the writes are idempotent, so none is elected.
//   - Decide is the pure decision per namespace; the rest is plumbing.
package pullsecret
