//go:build tools

// Package tools pins containerd and its runc shim, which hack/e2e-bins.sh builds
// for the e2e node, so that go mod tidy keeps their dependencies in this module's go.sum.
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
)
