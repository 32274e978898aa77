//go:build tools

// Package tools pins what hack/crds.sh builds and reads: controller-gen, the
// Prometheus Operator's API types (ServiceMonitor, PrometheusRule) it turns
// into CRDs, and cert-manager, whose module carries its CRDs as YAML.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
