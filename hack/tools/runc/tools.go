//go:build tools

// Package tools pins runc, which hack/e2e-bins.sh builds (cgo, seccomp) for the
// e2e node, so that go mod tidy keeps its dependencies in this module's go.sum.
package tools

import _ "github.com/opencontainers/runc"
