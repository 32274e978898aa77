//go:build tools

// Package tools pins the Distribution registry that hack/e2e-bins.sh builds, so
// that go mod tidy keeps its dependencies in this module's go.sum.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
