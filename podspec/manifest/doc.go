// Package manifest rewrites the images inside Kubernetes manifests as text
// (`pullthrough rewrite -f`).
//
// Input is a YAML stream (any number of documents) or a JSON stream. Images
// at every podspec.Locations entry of every podspec.Kinds kind (Pod,
// PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job and CronJob), and inside a List of them (kind
// List, or DeploymentList and the like), are
// routed through a rewrite.Rewriter; every other byte passes through as it
// was. The YAML node tree only locates the image scalars; the new values are
// spliced into the original bytes in the scalar's own quoting style, so that
// comments, key order, indentation and unknown fields survive and a diff of
// input and output shows only the image lines. A document is never
// re-serialized.
package manifest
