#!/usr/bin/env bash
# Builds the binaries the e2e tests run (etcd, kube-apiserver,
# kube-controller-manager, and the Distribution registry) from source through the Go module proxy, into a cache
# outside the repository, and prints that directory as the last line of stdout:
#
#   KUBEBUILDER_ASSETS=$(hack/e2e-bins.sh) go test ./e2e/...
#
# Why from source: no prebuilt download is reachable from our machines and CI, and
# Debian's etcd is too old for Kubernetes 1.37. The versions come from
# hack/versions.env; the dependency graphs from the modules under hack/tools/.
# A binary already in the cache is reused, so a second run costs nothing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/versions.env
source "$root/hack/versions.env"
pinned_k8s=$K8S_VERSION
K8S_VERSION=${PULLTHROUGH_K8S_VERSION:-$K8S_VERSION}

dir="${XDG_CACHE_HOME:-$HOME/.cache}/pullthrough/e2e/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"
mkdir -p "$dir"
# Build into a scratch directory beside the cache and move finished binaries in,
# so an interrupted build never leaves a truncated binary that looks cached.
tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Static, path-free, reproducible builds against the committed go.sum files; GOWORK=off
# so that a go.work above the checkout cannot pull these modules into another build.
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

log() { echo "e2e-bins: $*" >&2; }

if [[ -x "$dir/etcd" ]]; then
	log "etcd $ETCD_VERSION cached"
else
	log "building etcd $ETCD_VERSION"
	(cd "$root/hack/tools/etcd" && go build -trimpath -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
	mv "$tmp/etcd" "$dir/etcd"
fi

if [[ -x "$dir/kube-apiserver" && -x "$dir/kube-controller-manager" ]]; then
	log "kube-apiserver and kube-controller-manager $K8S_VERSION cached"
else
	log "building kube-apiserver and kube-controller-manager $K8S_VERSION (about 10 minutes on 2 cores the first time)"
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	ldflags="-s -w"
	# --version and the /version endpoint report these; without them they say v0.0.0-master.
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean"
	done
	moddir=$root/hack/tools/k8s
	if [[ $K8S_VERSION != "$pinned_k8s" ]]; then
		# Another version (make test K8S_VERSION=...): its module is generated
		# beside the build, from the module proxy, and never committed.
		moddir=$tmp/k8s-module
		mkdir -p "$moddir"
		cp "$root/hack/tools/k8s/tools.go" "$moddir/"
		GOFLAGS= K8S_VERSION=$K8S_VERSION "$root/hack/gen-k8s-tools-mod.sh" "$moddir" >&2
	fi
	(cd "$moddir" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
	mv "$tmp/kube-apiserver" "$tmp/kube-controller-manager" "$dir/"
fi

# The registry reports the version it was stamped with, so a pin change rebuilds it
# without touching the control plane (the directory is named after that alone).
if [[ -x "$dir/registry" ]] && "$dir/registry" --version 2>/dev/null | grep -qF " $REGISTRY_VERSION"; then
	log "registry $REGISTRY_VERSION cached"
else
	log "building registry $REGISTRY_VERSION (1-2 minutes on 2 cores)"
	(cd "$root/hack/tools/registry" && go build -trimpath \
		-ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
		-o "$tmp/registry" github.com/distribution/distribution/v3/cmd/registry)
	mv "$tmp/registry" "$dir/registry"
fi

log "binaries in $dir"
echo "$dir"
