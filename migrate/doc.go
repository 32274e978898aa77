// Package migrate moves the images of objects that already exist in a
// cluster to the pull-through proxy, with the same routing as the webhook
// (package rewrite, same package config file), so that nothing keeps pulling from a public
// registry once the webhook is on.
//
// Contract:
//   - Plan lists (paged) the kinds of podspec.Kinds: Deployments,
//     StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers and
//     CronJobs that no covered controller owns
//     (a Deployment's ReplicaSet is covered by the Deployment's row), plus
//     the config's opt-in targets: ConfigMaps (explicit registry references
//     in their data, rewritten with (*rewrite.Rewriter).Text) and
//     custom-resource fields (an image or a registry prefix). It decides
//     every value and changes nothing.
//   - Jobs, bare Pods and workloads owned by another controller (an
//     operator's custom resource) are reported, never patched.
//   - Objects in exclude.namespaces get outcome excluded-namespace and are
//     never patched, by Apply or by undo.
//   - A forward run leaves alone, outcome opted-out, every object that
//     carries wellknown.LabelSkip=true, on itself or on its pod template (as
//     the webhook leaves such pods alone), and every object of a pullthrough
//     release (wellknown.LabelAppName=wellknown.AppName, which the chart
//     puts on everything it renders): the webhook and the node agent must
//     never depend on the proxy. Opting out comes before the namespace's
//     mode, as in podspec.DecidePod; undo reads neither label.
//   - The namespace label wellknown.LabelMode (pullthrough.dev/mode), which
//     routes the webhook, is read with config.ModeOf and honoured alike, by
//     the mode in force there (config.Config.ModeIn): a forward plan reads
//     the namespaces once (a paged list, or a get of each -n namespace)
//     before anything else. In an "off" namespace every value gets outcome
//     excluded-namespace; where audit is in force (an "audit" namespace, or
//     a config in audit mode) every rewrite gets outcome audit, shown as the
//     row's New value, and nothing is patched ((*rewrite.Rewriter).Withholding);
//     "enforce", or no label, follows the config; any other value is audit,
//     and is named in Report.Warnings (a typo never enforces). A namespace
//     whose label cannot be read fails the plan, and an object in a
//     namespace created after the read fails: neither is taken for enforce.
//     Cluster-scoped objects have no namespace: the config's mode applies.
//   - Undo ignores the label: it takes back what an earlier apply wrote, in
//     off and audit namespaces too (a namespace labelled off after the
//     migration is rolled back like any other), and needs no access to
//     namespaces.
//   - Apply sends one JSON patch per object, so an object is never half
//     migrated. Its test operations hold every old value: a concurrent edit
//     makes the patch fail rather than be overwritten; the object is then
//     re-read, recomputed and patched once more, or reported failed (at once
//     when its values did not change: the server refused the patch itself). A
//     transient failure (a timeout, a busy server) is sent again, which the
//     same tests make safe. The patch records each original in wellknown.AnnotationMigratedImages (JSON pointer
//     -> original, sorted keys), merged with an earlier run's record.
//   - Verify (--verify) asks resolve.Preflight about every image an object
//     would pull through the proxy (rewritten, or already proxied); a
//     planned object with an image the proxy does not serve becomes
//     StatusNotServed, which Apply skips unless forced: its pods would not
//     start.
//   - Undo restores each recorded value that still holds what the migrator
//     wrote (tested again), reports the others, and removes the record.
//   - Runs are idempotent: a second Apply finds nothing to change and sends
//     no request.
//   - Nothing is swallowed: a failed list fails the run; a failed object is
//     listed with its API error and counted in Totals.Failed, which a CLI
//     turns into exit code 1.
//   - Objects Argo CD, Flux or Helm manage (Manager, recognised by the
//     labels and annotations each tool writes; one tool per object, Argo CD
//     before Flux's helm-controller, its kustomize-controller, then Helm)
//     are planned StatusGitOpsManaged and never patched, by Apply either,
//     unless Options.IncludeManaged: their next sync would put the old image
//     back, after a rollout of its own, while their pods are rewritten at
//     admission anyway. Not patched, they get no record, so undo has nothing
//     of theirs to restore. (*Plan).Emit writes the change to make at their
//     source instead, per Argo CD Application, Flux Kustomization or
//     HelmRelease, Helm release: kustomize images: entries and manifests, or
//     the values of a chart in knownCharts; deterministic bytes.
//
// A run goes one way, forward or undo, chosen once by Plan, PlanEach,
// PlanUndo or PlanUndoEach and kept by the Plan for Apply; the report's
// Action only names it.
//
// The package talks to the API server only through a dynamic.Interface, so
// one code path serves built-in kinds and custom resources alike, and tests
// run it against a real API server (e2e/cluster).
package migrate
