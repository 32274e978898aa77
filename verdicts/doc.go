// Package verdicts is the shared verdict record: what the proxy was seen to
// serve or refuse, per reference, kept in one ConfigMap of the release
// namespace (DefaultName, key Key) that the CLI's checks write and the
// webhook watches, so that a digest `pullthrough warm` made servable, or a
// reference `verify` found missing, is known at admission before the
// webhook's own cache would have asked.
//
// Contract:
//   - The record maps a proxy reference (exactly the rewritten reference the
//     webhook asks about, tag and digest as written) to an Entry: served or
//     not, and when it was checked. It is JSON with sorted keys, bounded to
//     MaxEntries (the oldest checks go first), so a ConfigMap never nears its
//     1 MiB limit.
//   - Write merges: the later check of a reference wins; it retries a
//     conflicting update, so concurrent writers lose nothing.
//   - Watch reads the one named object (get, list and watch limited to its
//     name) and hands every entry to webhook.State.RecordVerdict, which keeps
//     it for the rest of its TTL counted from when it was checked. A missing
//     or unreadable record changes nothing: the webhook asks as without it.
//   - Nothing here is on the admission path: the webhook's handler only reads
//     its cache.
package verdicts
