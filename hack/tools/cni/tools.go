//go:build tools

// Package tools pins the CNI plugin that the e2e node's network configuration
// names (a loopback), which hack/e2e-bins.sh builds, so that go mod tidy keeps
// its dependencies in this module's go.sum.
package tools

import _ "github.com/containernetworking/plugins/plugins/main/loopback"
