// Package pullfailures counts the pulls of proxied images that fail after
// admission, from the kubelet's events: pullthrough_pull_failures_total
// {registry,reason}, served by `pullthrough webhook --pull-failures`. A pod
// admitted with a rewritten image can still fail to start when the proxy
// answers 429 (its upstream's pull limit), 401 (credentials) or 404 (a digest
// an ECR cache cannot fill, a tag Harbor dropped); the admission metrics never
// see it.
//
// The contract:
//   - One Event informer, listing only the kubelet's Warning events about
//     pods with reason Failed (field selectors involvedObject.kind=Pod,
//     reason=Failed), whose Transform keeps only the image and the reason
//     parsed from the message and the event's count.
//   - A failed pull is a message "Failed to pull image \"IMAGE\": …" (the
//     kubelet's image manager; a "(combined from similar events): " prefix is
//     read through). Its Reason is read from the runtime's words: 429 (HTTP
//     429, toomanyrequests), 401 (HTTP 401 or 403, refused or missing
//     credentials, as resolve classifies them), 404 (HTTP 404, not found,
//     manifest unknown), other.
//   - Only images under a mirror's target of the config in force count: what
//     pullthrough pointed at the proxy (rewritten, or written so). The
//     registry label is that mirror's source (rewrite.Rewriter.SourceOf), a
//     closed set from the config; reason is a closed set.
//   - Each failure counts once: a new event counts its count, an update the
//     increase of its count (Event.count, or series.count); the events the
//     first list finds are the baseline and count nothing, so a restart does
//     not count old failures again.
//   - It only reads (list and watch on events), off the admission path.
package pullfailures
