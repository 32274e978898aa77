// Package selftest proves, through the API server, that pullthrough's webhook
// rewrites pods: it creates a probe Pod with a server-side dry run (nothing is
// persisted, nothing is pulled) in a namespace the webhook configuration routes
// to a path, and checks the Pod the API server returns against what the
// config says should happen to the probe image. It is what `pullthrough
// selftest` and the chart's `helm test` run.
//
// The contract: Run returns a Check per namespace and an error ("the webhook
// did not do what the config says") when the returned Pod does not carry what
// the webhook should have done (the proxied image and
// pullthrough.dev/original-images on the enforce path; the image unchanged and
// pullthrough.dev/would-rewrite on the audit path or in audit mode). Probe images are named under a mirror's
// source and never exist: a dry run pulls nothing.
package selftest
