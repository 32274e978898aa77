// Package inventory is an opt-in view of what runs: a gauge of the
// image references of the pods that exist now, by registry and outcome,
// where pullthrough_images_total counts only what was admitted. After the
// migration window, its rewritten series is what still pulls direct: pods
// admitted while the webhook failed open, or before it was installed.
//
// The contract:
//   - One pod informer, listing only pods that may still pull (not
//     Succeeded or Failed), whose Transform keeps only what the judgement
//     reads (container, init, ephemeral and volume images; the opt-out label,
//     the mirror-pod annotation; the controller reference): the cache of a
//     10,000-pod cluster holds about 11 MB, where whole pods took 240 MB
//     (BenchmarkInformerMemory).
//   - Every scrape judges the cached pods through podspec.DecidePod with the
//     config in force (liveconfig.Live), in enforce mode (as `pullthrough
//     report` does), so a config reload changes the next scrape and nothing
//     drifts. The package needs nothing of the webhook: its checks ahead of
//     time (Prefill) are a function the caller gives.
//   - Labels are bounded as pullthrough_images_total's: registry is the
//     matched mirror source, the public-registry entry, or "other"; outcome
//     is rewrite's closed set.
//   - It only reads (list and watch on pods), and it is off the admission
//     path: a scrape never waits for the API server. It needs a permission
//     that nothing else of the webhook or the policy engine needs, so it is
//     off unless asked for (--pod-images of `pullthrough webhook` or of
//     `pullthrough policy --apply --watch`).
package inventory
