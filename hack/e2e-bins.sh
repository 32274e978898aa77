#!/usr/bin/env bash
# Builds the binaries the e2e tests run from source through the Go module proxy,
# into a cache outside the repository: the control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler), the kubelet, and the Distribution
# registry into one directory per Kubernetes version; the rest of the node
# (containerd and its runc shim, runc, the CNI plugins) into one directory per
# node version that every Kubernetes version shares. It prints the first
# directory as the last line of stdout:
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
# It is the configuration make builds and tests the product in (the Makefile's
# CGO_ENABLED and GOFLAGS), and hack/tools/k8s requires the product's versions of
# the modules both use (hack/gen-k8s-tools-mod.sh): make test then finds k8s.io/api,
# client-go, apiserver and what they import compiled in the Go build cache.
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

log() { echo "e2e-bins: $*" >&2; }

if [[ -x "$dir/etcd" ]]; then
	log "etcd $ETCD_VERSION cached"
else
	log "building etcd $ETCD_VERSION"
	(cd "$root/hack/tools/etcd" && go build -trimpath -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
	mv "$tmp/etcd" "$dir/etcd"
fi

# One go build for every Kubernetes command: they share most of their packages,
# so the kubelet and the scheduler cost little beside the API server.
# E2E_NODE=false (make test-oldest, whose packages run no node) builds the
# control plane and the registry alone.
E2E_NODE=${E2E_NODE:-true}
k8s_cmds=(kube-apiserver kube-controller-manager)
if [[ $E2E_NODE == true ]]; then
	k8s_cmds+=(kube-scheduler kubelet)
fi
all_cached() { local b; for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done; }
if all_cached "${k8s_cmds[@]}"; then
	log "${k8s_cmds[*]} $K8S_VERSION cached"
else
	log "building ${k8s_cmds[*]} $K8S_VERSION (about 12 minutes on 2 cores the first time)"
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
	(cd "$moddir" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${k8s_cmds[@]/#/k8s.io/kubernetes/cmd/}")
	for b in "${k8s_cmds[@]}"; do mv "$tmp/$b" "$dir/"; done
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

if [[ $E2E_NODE != true ]]; then
	log "binaries in $dir (no node: E2E_NODE=$E2E_NODE)"
	echo "$dir"
	exit 0
fi

# The node's runtime, shared by every Kubernetes version.
node_dir="${XDG_CACHE_HOME:-$HOME/.cache}/pullthrough/e2e/node-containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}-cni-${CNI_PLUGINS_VERSION}"
mkdir -p "$node_dir"
if [[ -x "$node_dir/containerd" && -x "$node_dir/containerd-shim-runc-v2" ]]; then
	log "containerd $CONTAINERD_VERSION cached"
else
	log "building containerd $CONTAINERD_VERSION (2-3 minutes on 2 cores)"
	# The snapshotters the node does not use need C libraries; overlayfs and native do not.
	(cd "$root/hack/tools/containerd" && go build -trimpath -tags "no_btrfs no_devmapper no_zfs" -ldflags "-s -w \
		-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" -o "$tmp/" \
		github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2)
	mv "$tmp/containerd" "$tmp/containerd-shim-runc-v2" "$node_dir/"
fi
if [[ -x "$node_dir/runc" ]]; then
	log "runc $RUNC_VERSION cached"
else
	# The CRI gives every container a seccomp profile, which runc applies only when
	# built with cgo and libseccomp (Debian's libseccomp-dev, which .ci/run installs).
	if ! pkg-config --exists libseccomp 2>/dev/null && [[ ! -e /usr/include/seccomp.h ]]; then
		echo "e2e-bins: runc needs libseccomp's headers: apt-get install libseccomp-dev" >&2
		exit 1
	fi
	log "building runc $RUNC_VERSION"
	(cd "$root/hack/tools/runc" && CGO_ENABLED=1 go build -trimpath -tags seccomp \
		-ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o "$tmp/runc" github.com/opencontainers/runc)
	mv "$tmp/runc" "$node_dir/"
fi
# The one CNI plugin the node's network names: a loopback (every e2e pod is
# host-network; the node has no bridge into a private range).
if [[ -x "$node_dir/cni/loopback" ]]; then
	log "CNI loopback $CNI_PLUGINS_VERSION cached"
else
	log "building the CNI loopback plugin $CNI_PLUGINS_VERSION"
	mkdir -p "$tmp/cni" "$node_dir/cni"
	(cd "$root/hack/tools/cni" && go build -trimpath -ldflags "-s -w" -o "$tmp/cni/loopback" \
		github.com/containernetworking/plugins/plugins/main/loopback)
	mv "$tmp/cni/loopback" "$node_dir/cni/"
fi

log "binaries in $dir and $node_dir"
echo "$dir"
