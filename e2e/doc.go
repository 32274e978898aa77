// Package e2e holds pullthrough's end-to-end tests: the webhook and the
// migrator against a real kube-apiserver, etcd and kube-controller-manager
// started by package e2e/cluster, never a fake client. It also provides the
// pieces the tests and `make demo` share: the webhook configuration as the
// chart installs it, pointed at a server on loopback.
//
// The tests are skipped only under `go test -short`; without the control-plane
// binaries they fail and name the command that builds them (make e2e-bins).
package e2e
