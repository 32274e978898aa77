// Package baseline is the webhook pullthrough's performance is measured
// against: controller-runtime's Pod webhook that does nothing. It decodes the
// review and the Pod, as any typed handler does, and allows it. The
// in-process benchmarks (hack/benchdoc) and the load tool (e2e/load) both
// use it, so their ratios are to the same server.
//
// The contract: Handler never rewrites, denies or counts anything; it only
// costs what any typed Pod webhook costs. The binary never imports it.
package baseline
