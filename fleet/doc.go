// Package fleet answers, per cluster, which pods that exist still pull from a
// public registry and who owns them: the rows of `pullthrough report`.
//
// The contract:
//   - Every image reference of a pod is judged through podspec's one walk
//     (podspec.DecidePod over podspec.FromPodSpec), with the engine in
//     enforce mode: outcome rewritten means "enforce would move it", so the
//     reference still pulls direct. Pods that opted out and pods in an
//     excluded namespace are judged as the webhook judges them.
//   - Owner is the top controller as Kind/name, found by following
//     controller references through the ReplicaSets and Jobs listed once per
//     cluster (metadata only), never with a read per pod; a pod without a
//     controller is its own owner (Pod/name).
//   - Rows are pure values; Collect is the only part that talks to an API
//     server (read-only: list pods, replicasets.apps and jobs.batch), and a
//     cluster that cannot be listed is one error row, never a silent gap.
package fleet
