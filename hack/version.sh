#!/usr/bin/env bash
# Prints pullthrough's version: the one string that `pullthrough version`, the
# image's tag and labels, the SBOM, the chart's version and appVersion and the
# rendered manifests carry. It comes from git tags vMAJOR.MINOR.PATCH:
#
#   on a tag v0.1.0                 0.1.0
#   3 commits after it              0.1.0-3-gabc1234
#   uncommitted changes             ...-dirty
#   no tag yet                      0.0.0-gabc1234
#   no git (a source archive)       0.0.0-dev
#
# Every form is SemVer 2 (Helm's chart versions must be) without the tag's v,
# the form image tags and appVersion use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo 0.0.0-dev
	exit 0
fi
if described=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --dirty 2>/dev/null); then
	echo "${described#v}"
	exit 0
fi
# No release tag yet: a pre-release of 0.0.0 named by the commit ("g" keeps a
# hash of digits only from being a numeric identifier with a leading zero).
dirty=""
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
	dirty=-dirty
fi
echo "0.0.0-g$(git rev-parse --short=7 HEAD)$dirty"
