// Package wellknown declares the names that are pullthrough's public
// contract with the people and tools around it: the pullthrough.dev/*
// labels and annotations it reads and writes on namespaces, pods and
// workloads, and the names of the metrics it exports. Dashboards, alerts,
// runbooks and scripts depend on them, so each is declared here once and
// every other package refers to it; tests check the copies outside Go
// (chart queries, docs) against the binary's own registry.
//
// The package imports nothing: every other package may depend on it.
package wellknown
