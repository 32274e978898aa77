#!/usr/bin/env bash
# Packages deploy/charts/pullthrough at VERSION (chart version and appVersion
# alike, so the chart's default image tag is the image make image pushed for
# the same commit) and pushes it to an OCI registry with Helm's own OCI
# support:
#
#   hack/chart-push.sh VERSION oci://HOST[:PORT]/PATH
#
# The chart lands at oci://HOST/PATH/pullthrough:VERSION; the package stays in
# bin/chart/ and the manifest digest is written to bin/chart.digest (the
# release workflow signs it). Credentials: helm's registry config, then the
# docker config. A registry on loopback (127.0.0.1, localhost, [::1]) is
# spoken to over plain HTTP, as go-containerregistry does for make image;
# CHART_PLAIN_HTTP=false forces TLS there, CHART_PLAIN_HTTP=true anywhere.
# Exit codes: 0 pushed, 1 helm failed, 2 bad arguments.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "chart-push: $*" >&2; }
usage() {
	log "$*"
	log "usage: make chart-push CHART_REPO=oci://HOST/PATH [VERSION=X.Y.Z]"
	exit 2
}

[[ $# -eq 2 ]] || usage "want VERSION and CHART_REPO, got $# arguments"
version=${1#v} repo=${2%/}
[[ $repo =~ ^oci://([^/]+)(/.*)?$ ]] || usage "CHART_REPO '$repo': want oci://HOST[:PORT]/PATH"
host=${BASH_REMATCH[1]}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] || usage "VERSION '$version': want SemVer (hack/version.sh)"

plain=${CHART_PLAIN_HTTP:-auto}
if [[ $plain == auto ]]; then
	plain=false
	[[ $host =~ ^(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?$ ]] && plain=true
fi
flags=()
[[ $plain == true ]] && flags+=(--plain-http)

helm=$("$root/hack/render-manifests.sh" --print-helm)
out=$root/bin/chart
mkdir -p "$out"
rm -f "$out/pullthrough-$version.tgz"
"$helm" package "$root/deploy/charts/pullthrough" --version "$version" --app-version "$version" --destination "$out" >&2
pushed=$("$helm" push "$out/pullthrough-$version.tgz" "$repo" "${flags[@]}" 2>&1) || {
	echo "$pushed" >&2
	exit 1
}
echo "$pushed" >&2
digest=$(sed -n 's/^Digest: \(sha256:[0-9a-f]*\)$/\1/p' <<<"$pushed")
[[ -n $digest ]] || {
	log "helm push printed no digest"
	exit 1
}
echo "$digest" >"$root/bin/chart.digest"
echo "$repo/pullthrough:$version@$digest"
