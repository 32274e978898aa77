// Package faults is the fault suite: a real kube-apiserver admits a steady
// stream of pod creations through `pullthrough webhook` processes while a
// test hurts them (SIGKILL, SIGSTOP past timeoutSeconds, a rolling restart
// behind a TCP balancer, hostile admission input, config swaps, serving
// certificates replaced on disk and renewed by the self-signed rotator; and
// the migrator behind a proxy that fails its patches; last, the policy
// engine's only process SIGKILLed with the webhook configuration removed),
// and reports for each
// fault the pods requested, created (rewritten or unchanged) and failed,
// with the API server's own fail-open and rejection counters.
//
// Its tests carry the build tag "faults", so `make test` leaves them out;
// `make test-faults` runs them (CI does, after `make test`). PT_FAULT_RATE
// and PT_FAULT_DURATION set the stream (default 20 pods/s for 15 s), and
// PT_FAULT_REPORT names a file that receives the figures as a Markdown table.
//
// BenchmarkPodCreation, in the same package for its harness, measures
// pod-creation latency with no mutation, the policy engine and the webhook
// on one API server (go test -tags faults -run '^$' -bench
// BenchmarkPodCreation -benchtime 1x ./e2e/faults; PT_LATENCY_REPORT names
// a file for its table).
package faults
