//go:build tools

// Package tools pins the Kubernetes commands that hack/e2e-bins.sh builds in one
// go build (the control plane and the e2e node share most of their packages), so
// that go mod tidy keeps their dependencies in this module's go.sum.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
