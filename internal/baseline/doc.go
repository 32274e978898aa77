// Package baseline is what pullthrough's webhook is measured against.
// Handler is controller-runtime's Pod webhook that does nothing: it decodes
// the review and the Pod, as any typed handler does, and allows it. Floor
// does less than any webhook can: it reads the request's uid and allows. The
// in-process benchmarks (hack/benchdoc) use Handler; the load tool
// (e2e/load) runs both, so its ratios are to the same servers. Both report
// the Median of their rounds' ratios.
//
// The contract: neither handler rewrites, denies or counts anything; Handler
// costs what any typed Pod webhook costs, Floor what TLS, HTTP and reading
// the body cost. The binary never imports this package.
package baseline
