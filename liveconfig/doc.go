// Package liveconfig is the configuration in force in a long-running
// process (the webhook, `pullthrough policy --apply --watch`): loaded and
// validated at start, watched on disk, and swapped whole on each valid
// change.
//
// Contract:
//   - Load reads and validates the file (config.Read) and builds its
//     Rewriter once; an error there is fatal to the caller, which has no
//     previous config to keep serving.
//   - Readers call Current on every use and never lock: a Snapshot (a
//     config.Config and its Rewriter) is never modified after it is put in
//     force, and the next one replaces it in one atomic store.
//   - A part of the process that derives something of its own from the
//     config (the webhook's rewriters and proxy client, the policy engine's
//     policies) registers a Follower before the Watcher starts. Each new
//     config is put in force only once every Follower has accepted it; then
//     the Followers' commits run and the Snapshot is swapped. One refusal
//     leaves the config in force and everything derived from it as they were.
//   - The Watcher watches the file's directory, not the file, because a
//     ConfigMap mount replaces the file by swapping a symlink. A file that
//     is unreadable, briefly missing, invalid or refused is logged and
//     counted, and the previous config keeps serving; the same bytes as the
//     config in force are no reload, except right after a refusal, where
//     they clear the alarm (a rollback).
//   - Metrics are the reloads' own series (wellknown.MetricConfigReloads,
//     wellknown.MetricConfigLastReloadOK), registered by the process that
//     watches; nothing else of the process is registered here.
package liveconfig
