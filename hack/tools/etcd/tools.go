//go:build tools

// Package tools pins the etcd server that hack/e2e-bins.sh builds, so that
// go mod tidy keeps its dependencies in this module's go.sum.
package tools

import _ "go.etcd.io/etcd/server/v3"
