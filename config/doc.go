// Package config loads pullthrough's configuration file, shared by the
// webhook, the policy engine, the migrator, the node agent and the CLI so
// that all route an image the same way, and defines the Mode a config and a
// namespace label choose.
//
// The contract:
//
//   - A file is YAML or JSON, decoded strictly: an unknown or duplicate field
//     is an error, so a typo never silently turns a setting off.
//   - Defaults live in one place (defaults.go) and Default fills them in:
//     mode enforce; unrouted warn; proxyHealth interval 10s, failOpen true,
//     failureThreshold 3 and successThreshold 2; publicRegistries.builtIn
//     true (the list rewrite.DefaultPublicRegistries); node.fallback true. What
//     reads an optional field of a Config built in code rather than loaded
//     (FailOpen, PublicRegistries.List, Node.FallsBack) takes the same default.
//   - A config is rejected when any mirror, glob, mode, pull secret, proxy
//     URL, migrate target, public registry or unrouted policy is malformed, or when rewriting would loop (a
//     target matched by a source); every problem is reported at once, each
//     naming the file, the field path and the value.
//   - Rules and Rewriter hand the routing part to package rewrite, which
//     imports no Kubernetes package; the rest (namespaces, pull secrets,
//     proxy health, unrouted policy, node fallback, migrate targets) is read
//     from the Config by the packages that act on it. A mirror's scope
//     (namespaces, namespaceSelector) travels with it to rewrite as plain
//     values; Validate checks the selector with the API server's own parser,
//     LabelSelector converts it back, and Scoped and SelectsByLabels tell a
//     caller whether it must route per namespace and read labels to.
//   - Modes are read in one place: ModeOf reads a namespace's
//     wellknown.LabelMode as the chart's webhook configuration routes it
//     (none or "enforce", "audit", "off"; any other value audits and is
//     reported unknown), and (*Config).ModeIn combines it with the config's
//     mode into the mode in force (a config in audit mode audits
//     everywhere). Nothing yields enforce from a value that is not a mode.
//   - The package reads files only: no API server, no network.
package config
