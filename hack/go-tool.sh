#!/usr/bin/env bash
# Prints the path of a tool built from the Go module proxy, building it the
# first time: NAME from PACKAGE@VERSION into bin/tools/NAME-VERSION/NAME
# (bin/tools is the machine's tool cache on CI, .ci/run links it). The one way
# make and the hack scripts build golangci-lint, actionlint, helm-docs and, where
# apt has no Debian package of it (hack/promtool.sh), promtool.
#   hack/go-tool.sh actionlint github.com/rhysd/actionlint/cmd/actionlint v1.7.12
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 NAME PACKAGE VERSION" >&2
	exit 2
fi
name=$1 pkg=$2 version=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/bin/tools/$name-$version
if [[ ! -x $dir/$name ]]; then
	echo "go-tool: building $name $version from the Go module proxy" >&2
	mkdir -p "$root/bin/tools"
	# Built beside its place and moved in with one rename, so an interrupted or
	# concurrent build never leaves a half-written binary that looks cached.
	tmp=$(mktemp -d "$root/bin/tools/.$name.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# GOFLAGS cleared: the repository's settings are not the tool's.
	GOFLAGS='' CGO_ENABLED=0 GOBIN=$tmp go install -trimpath -ldflags '-s -w' "$pkg@$version" >&2 ||
		{ echo "go-tool: building $name $pkg@$version failed" >&2; exit 1; }
	mkdir -p "$dir"
	mv "$tmp/$name" "$dir/$name"
fi
echo "$dir/$name"
