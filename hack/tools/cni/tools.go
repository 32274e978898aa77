//go:build tools

// Package tools pins the CNI plugins that the e2e node's network configuration
// names, which hack/e2e-bins.sh builds, so that go mod tidy keeps their
// dependencies in this module's go.sum.
package tools

import (
	_ "github.com/containernetworking/plugins/plugins/ipam/host-local"
	_ "github.com/containernetworking/plugins/plugins/main/bridge"
	_ "github.com/containernetworking/plugins/plugins/main/loopback"
	_ "github.com/containernetworking/plugins/plugins/meta/portmap"
)
