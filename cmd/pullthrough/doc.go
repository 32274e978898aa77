// Command pullthrough moves a cluster's image pulls from public registries to
// an internal pull-through proxy: a mutating admission webhook for new pods
// (or, with `policy --apply --watch`, admission policies inside
// kube-apiserver), a migrator for existing workloads, a node agent for
// containerd, and a CLI to try the rules on images and manifests.
//
// The contract: each verb parses its flags, loads the config with package
// config and wires the packages that do the work; it decides nothing about
// an image itself. Exit codes: 0 success; 1 the work failed (an object not
// patched, a list that failed, an unparseable image given to rewrite); 2 a
// usage or configuration error (usageError), reported on stderr with the
// file, field and value.
package main
