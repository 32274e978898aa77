#!/usr/bin/env bash
# Cuts a release, or checks that the tree is one (docs/release.md):
#
#   hack/release.sh vX.Y.Z           (make release VERSION=vX.Y.Z)
#     on a clean tree whose CHANGELOG.md has a "## [X.Y.Z]" section: sets the
#     chart's version and appVersion to X.Y.Z, re-renders deploy/manifests and
#     the chart's README, commits "release vX.Y.Z" and tags it vX.Y.Z. Pushing
#     the tag starts the release workflow, which publishes image and chart.
#   hack/release.sh --check X.Y.Z    (make release-check)
#     the chart, the rendered manifests, the CHANGELOG and the git tag agree
#     on X.Y.Z: the release workflow's first step.
#
# Exit codes: 0 done, 1 the tree is not ready or does not agree, 2 bad arguments.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
chart=$root/deploy/charts/pullthrough/Chart.yaml
log() { echo "release: $*" >&2; }
fail() {
	log "$*"
	exit 1
}

check=false
if [[ ${1:-} == --check ]]; then
	check=true
	shift
fi
[[ $# -eq 1 ]] || {
	log "usage: hack/release.sh [--check] vX.Y.Z"
	exit 2
}
version=${1#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || {
	log "VERSION '$1': want vMAJOR.MINOR.PATCH[-PRERELEASE]"
	exit 2
}
cd "$root"

changelog() {
	grep -q "^## \[$version\]" CHANGELOG.md || fail "CHANGELOG.md: no '## [$version]' section"
}

if $check; then
	changelog
	for key in version appVersion; do
		got=$(sed -n "s/^$key: \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$chart")
		[[ $got == "$version" ]] || fail "$chart: $key is '$got', not $version (make release VERSION=v$version)"
	done
	grep -q "image: ghcr.io/pullthrough/pullthrough:$version\$" deploy/manifests/pullthrough.yaml ||
		fail "deploy/manifests/pullthrough.yaml: the image is not ghcr.io/pullthrough/pullthrough:$version (hack/render-manifests.sh)"
	described=$(hack/version.sh)
	[[ $described == "$version" ]] || fail "hack/version.sh says $described: HEAD is not the clean tag v$version"
	log "the tree is release $version"
	exit 0
fi

[[ -z $(git status --porcelain) ]] || fail "the work tree has changes: commit or stash them first"
changelog
git rev-parse -q --verify "refs/tags/v$version" >/dev/null && fail "tag v$version exists"
sed -i -e "s/^version: .*/version: $version/" -e "s/^appVersion: .*/appVersion: \"$version\"/" "$chart"
hack/render-manifests.sh
make --no-print-directory chart-docs
git commit -q -am "release v$version"
git tag -a "v$version" -m "pullthrough v$version"
log "committed and tagged v$version; publish with: git push origin HEAD v$version"
