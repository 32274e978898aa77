// Package selftest proves, through the API server, that pullthrough rewrites
// pods, whichever engine is installed (the webhook, or the admission
// policies of package policy): it creates a probe Pod with a server-side dry
// run (nothing is persisted, nothing is pulled) in a namespace of a given
// mode, and checks the Pod the API server returns against what the config
// says should happen to the probe image. It is what `pullthrough selftest`
// and the chart's `helm test` run.
//
// The contract: Run returns a Check per namespace and an error ("the webhook
// did not do what the config says") when the returned Pod does not carry what
// the engine should have done: in enforce, the proxied image and
// pullthrough.dev/original-images; in audit (the namespace's or the
// config's), the image unchanged and either pullthrough.dev/would-rewrite
// (the webhook) or the audit warning naming the proposal (the policy
// engine, which writes no annotation on the audit path). Probe images are
// named under a mirror's source and never exist: a dry run pulls nothing.
package selftest
