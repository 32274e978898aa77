// Package policy compiles a pullthrough config into admission policies
// (admissionregistration.k8s.io/v1, Kubernetes 1.36 and later) that make the
// webhook's decisions inside kube-apiserver, in CEL, with no pullthrough
// process on the admission path.
//
// The Go engine (package rewrite) is the reference, and this package's CEL
// must decide every reference exactly as it does:
//
//   - Validity and splitting follow github.com/distribution/reference: the
//     regular expressions are the library's own (ReferenceRegexp,
//     DomainRegexp, ...), taken at generate time, never copied by hand; the
//     digest check is go-digest's (the available algorithms and their
//     lengths).
//   - Registry identity, Docker Hub's aliases and "library/", exclusion
//     globs, already-proxied targets, the longest mirror source (scoped
//     mirrors guarded by their namespace condition on namespaceObject, in
//     rewrite.Rewriter.In's order), the
//     result's length limit and unrouted public registries are each compiled
//     from the same parsed rules rewrite.New accepts.
//   - Where CEL cannot decide exactly as the Go engine, Generate refuses the
//     config with an error naming the rule ("cannot be expressed exactly in an
//     admission policy"); nothing drifts silently. The few documented
//     differences are pod-level and pinned by tests.
//
// The policies' warnings and denial are package wellknown's texts, the
// webhook's own, compiled into CEL (messages.go). Match conditions leave out
// the pods a policy has nothing to do with (skip.go): the images of a pod
// the rewrite already produced are all under a mirror target's host, where
// no decision rewrites or warns, so the API server's second call of the
// rewrite on its own output and the validating policies cost no decision.
//
// Generate is pure: a config in, API objects out. The proof that both
// engines agree lives in the tests, which compile the generated CEL with the
// API server's own environment and compare it with rewrite.Rewriter on the
// rewrite corpus and a fuzz target, and in the e2e suite on a real
// kube-apiserver.
//
// Apply and the Applier are the Kubernetes edge, off the admission path:
// Apply server-side applies a Set (field manager FieldManager) and deletes
// the objects of an earlier Set, found by the label every generated object
// carries, and touches nothing else; the Applier keeps the API server's Set
// equal to the config in force. While neither runs, the policies last
// applied keep acting. Past the CEL cost limits a pod is admitted unchanged
// (failurePolicy Ignore), and NameGuardCapacity, with the guard on, reports
// it.
package policy
