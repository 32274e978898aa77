#!/usr/bin/env bash
# Runs govulncheck against the repository with a vulnerability database built
# locally, because vuln.go.dev is not reachable from our machines and CI; only the
# Go module proxy is. The Go vulnerability database's OSV records are published
# as the module golang.org/x/vulndb (data/osv/*.json), and that module's own
# cmd/indexdb turns them into the v1 database layout govulncheck reads with
# `-db file://...` (index/{db,modules,vulns}.json and ID/<GO-ID>.json).
#
#   hack/vulncheck.sh                    # govulncheck ./...
#   hack/vulncheck.sh -show verbose ./cmd/...
#   hack/vulncheck.sh -format json ./... # any govulncheck arguments
#   hack/vulncheck.sh --tools            # build govulncheck and the database only
#
# The database is built once per VULNDB_VERSION into
# ${XDG_CACHE_HOME:-~/.cache}/pullthrough/vulndb/<version>/ and reused; to pick up
# new advisories, bump VULNDB_VERSION to the output of
#   go list -m -f '{{.Version}}' golang.org/x/vulndb@latest
# A pin older than the newest snapshot the module proxy serves fails the run
# (exit 4, naming the version to pin), so the scan never goes quietly stale.
# Exit status is otherwise govulncheck's: 0 clean, 3 when affected code was
# found (with -format json it is 0 either way).
set -euo pipefail

# Pinned versions: the OSV snapshot and the scanner.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/bin/tools"
db="${XDG_CACHE_HOME:-$HOME/.cache}/pullthrough/vulndb/$VULNDB_VERSION"

log() { echo "vulncheck: $*" >&2; }

# The pseudo-versions' timestamps order the snapshots (vXXX-YYYYMMDDhhmmss-hash).
snapshot_time() { sed -n 's/^v[0-9.]*-\([0-9]\{14\}\)-.*/\1/p' <<<"$1"; }
latest=$(cd "$root" && GOWORK=off GOFLAGS=-mod=mod go list -m -f '{{.Version}}' golang.org/x/vulndb@latest) ||
	{ log "cannot ask the module proxy for golang.org/x/vulndb's newest snapshot: refusing to scan with a database that may be stale"; exit 4; }
if [[ "$(snapshot_time "$latest")" > "$(snapshot_time "$VULNDB_VERSION")" ]]; then
	log "the vulnerability database is stale: pinned $VULNDB_VERSION, the module proxy serves $latest; set VULNDB_VERSION=$latest in hack/vulncheck.sh"
	exit 4
fi

# modversion BINARY prints the main-module version a Go binary was built from.
modversion() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'; }

# govulncheck, reinstalled only when missing or at another version.
if [[ "$(modversion "$tools/govulncheck")" != "$GOVULNCHECK_VERSION" ]]; then
	log "installing govulncheck@$GOVULNCHECK_VERSION into $tools"
	GOBIN="$tools" GOWORK=off go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
fi

if [[ ! -f "$db/index/modules.json" ]]; then
	log "building the vulnerability database golang.org/x/vulndb@$VULNDB_VERSION into $db"
	mkdir -p "$(dirname "$db")"
	# Build beside the cache and move the finished database in with one rename, so
	# an interrupted run never leaves a partial database that looks cached.
	tmp=$(mktemp -d "$db.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT

	# indexdb comes from the same vulndb module version as the data, so the
	# converter matches the records. Installing it puts the module (~25 MB zip,
	# ~70 MB unpacked) into the module cache, where the OSV files are read from.
	GOBIN="$tmp/bin" GOWORK=off go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
	src=$(GOWORK=off go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')/data/osv
	[[ -d "$src" ]] || { log "no data/osv in golang.org/x/vulndb@$VULNDB_VERSION"; exit 1; }

	"$tmp/bin/indexdb" -vulns "$src" -out "$tmp/db"

	# The OSV files in the repository carry zero "modified" times (the hosted
	# database fills them in from git history), so index/db.json would say
	# 0001-01-01. Record the snapshot's commit time, taken from the pseudo-version,
	# so `govulncheck -show verbose` and -format json report the real DB date.
	if [[ "$VULNDB_VERSION" =~ -([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})- ]]; then
		m=("${BASH_REMATCH[@]:1}")
		printf '{"modified":"%s-%s-%sT%s:%s:%sZ"}' "${m[@]}" >"$tmp/db/index/db.json"
		gzip -nc "$tmp/db/index/db.json" >"$tmp/db/index/db.json.gz"
	fi

	# A concurrent run may have won the race; its database is as good as ours.
	mv -T "$tmp/db" "$db" 2>/dev/null || [[ -f "$db/index/modules.json" ]]
fi

# --tools: govulncheck and the database are ready; scan nothing (make tools).
if [[ ${1:-} == --tools ]]; then
	exit 0
fi
cd "$root"
if [[ $# -eq 0 ]]; then
	set -- ./...
fi
"$tools/govulncheck" -db "file://$db" "$@"
