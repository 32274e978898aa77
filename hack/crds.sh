#!/usr/bin/env bash
# Prints a directory holding the CustomResourceDefinitions that the chart's
# optional objects need, so that hack/lint-chart.sh can dry-run them on a real
# API server:
#   ServiceMonitor, PrometheusRule  generated with controller-gen from the
#                                   Prometheus Operator's API module (the
#                                   versions pinned in hack/tools/crds/go.mod)
#   Certificate, Issuer, ClusterIssuer  cert-manager's module's deploy/crds
# Everything comes from the Go module proxy; the result is kept in
# bin/tools/crds-<versions>/ and reused (about a minute the first time).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod=$root/hack/tools/crds
CERT_MANAGER_VERSION=${CERT_MANAGER_VERSION:-v1.21.2}
# GOFLAGS cleared: the repository's settings are not these modules'.
export GOFLAGS=''
monitoring=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring)
out=$root/bin/tools/crds-monitoring-$monitoring-cert-manager-$CERT_MANAGER_VERSION

if [[ ! -d $out ]]; then
	echo "crds: generating the CRDs into $out" >&2
	tmp=$(mktemp -d "$root/bin/tools/.crds.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$mod" && CGO_ENABLED=0 go build -o "$tmp/controller-gen" sigs.k8s.io/controller-tools/cmd/controller-gen)
	(cd "$mod" && "$tmp/controller-gen" crd:crdVersions=v1,allowDangerousTypes=true \
		paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:dir="$tmp/gen")
	mkdir "$tmp/crds"
	for kind in servicemonitors prometheusrules; do
		cp "$tmp/gen/monitoring.coreos.com_$kind.yaml" "$tmp/crds/"
	done
	cm=$(go mod download -json "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n $cm ]] || {
		echo "crds: cert-manager $CERT_MANAGER_VERSION not downloaded" >&2
		exit 1
	}
	for kind in certificates issuers clusterissuers; do
		cp "$cm/deploy/crds/cert-manager.io_$kind.yaml" "$tmp/crds/"
	done
	mv "$tmp/crds" "$out"
fi
echo "$out"
