#!/usr/bin/env bash
# Prints the path of promtool for hack/lint-chart.sh, fetching it the first
# time into bin/tools (the machine's tool cache on CI):
#   1. from Debian's prometheus package (PROMTOOL_DEB_VERSION), unpacked, not
#      installed: seconds, where building promtool from the module proxy costs
#      about 930 CPU-seconds (it links every service discovery of Prometheus),
#      a tenth of a cold CI run;
#   2. where apt has no such package (another distribution or release), built
#      from github.com/prometheus/prometheus at PROMTOOL_VERSION through the
#      module proxy, as before.
# Either one checks and unit-tests the chart's rules. The queries are also
# parsed by Prometheus 3's own parser (hack/tools/promql, v0.316.0), so make
# lint holds the rules to both lines: a query either one refuses fails it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROMTOOL_DEB_VERSION=${PROMTOOL_DEB_VERSION:-2.42.0+ds-5+deb12u1}
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}
log() { echo "promtool: $*" >&2; }

dir=$root/bin/tools/promtool-deb-$PROMTOOL_DEB_VERSION
if [[ -x $dir/promtool ]]; then
	echo "$dir/promtool"
	exit 0
fi
if command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
	mkdir -p "$root/bin/tools"
	tmp=$(mktemp -d "$root/bin/tools/.promtool.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download needs the package lists; a fresh machine may have none.
	fetch() { (cd "$tmp" && apt-get download -qq "prometheus=$PROMTOOL_DEB_VERSION") 2>"$tmp/apt.log"; }
	if fetch || { apt-get update -qq >/dev/null 2>&1 && fetch; }; then
		dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
		mkdir -p "$dir"
		mv "$tmp/x/usr/bin/promtool" "$dir/promtool"
		log "promtool from Debian's prometheus $PROMTOOL_DEB_VERSION"
		echo "$dir/promtool"
		exit 0
	fi
	log "apt has no prometheus=$PROMTOOL_DEB_VERSION ($(tail -1 "$tmp/apt.log")); building promtool $PROMTOOL_VERSION instead"
fi
"$root/hack/go-tool.sh" promtool github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_VERSION"
