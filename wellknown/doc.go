// Package wellknown declares the names that are pullthrough's public
// contract with the people and tools around it: the pullthrough.dev/*
// labels and annotations it reads and writes on namespaces, pods and
// workloads, and the names of the metrics it exports. Dashboards, alerts,
// runbooks and scripts depend on them, so each is declared here once and
// every other package refers to it.
//
// The contract:
//   - A name is renamed only here; TestDocumentedNamesAreDeclared fails
//     when the docs, the README, the examples or the deploy files mention a
//     pullthrough_* or pullthrough.dev/* name this package does not declare.
//   - The annotations' JSON is written by EncodeRecord alone (sorted keys, no
//     HTML escaping), so the same record is always the same text and a
//     second write of it is no change; DecodeRecord reads it back.
//   - The messages a person reads about an image (warnings, the unrouted
//     denial, the guard's finding) are Texts written here once: the webhook
//     fills their holes in Go, the policy engine compiles them into CEL, so
//     the two engines word them alike.
//   - The package imports only the standard library, so that every other
//     package may depend on it.
package wellknown
