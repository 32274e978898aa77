// Package e2e holds pullthrough's end-to-end tests: the webhook, the
// migrator, verify, report and selftest against a real kube-apiserver, etcd
// and kube-controller-manager started by package e2e/cluster, and real
// registries and pull-through proxies from package e2e/registry; never a
// fake client. It also provides the pieces the tests and `make demo` share:
// the binary (BuildBinary), the webhook configuration as the chart installs
// it (WebhookConfig), and pulls of the admitted pods' images through the
// proxies (PullPods, CompareLoad).
//
// The tests are skipped only under `go test -short`; without the control-plane
// binaries they fail and name the command that builds them (make e2e-bins).
package e2e
