#!/usr/bin/env bash
# Runs every fuzz target of the module (every `func FuzzX(f *testing.F)` in a
# _test.go file) for FUZZTIME each, one after another, and prints the
# executions per target. A failing input is saved under the package's
# testdata/fuzz/FuzzX by go test; commit it with its fix.
#   FUZZTIME=5m hack/fuzz.sh          # every target
#   hack/fuzz.sh FuzzHandler FuzzText  # some
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
# The fuzzing engine of Go 1.26 can fail a target that found nothing: when
# -fuzztime runs out, its coordinator may read the deadline before the workers'
# context is cancelled and report "context deadline exceeded" with no input
# saved (go.dev/issue/75804, fixed in Go 1.27.0). Fuzzing runs on a Go with the
# fix; the tests and the build stay on go.mod's toolchain.
export GOTOOLCHAIN=${FUZZ_GOTOOLCHAIN:-go1.27.3}
# Every input that finds new coverage is minimized first, up to 60s by
# default, and minimizing executions are not counted: FuzzHandler, whose
# inputs are whole AdmissionReviews of kilobytes, spent most of a 5-minute
# run minimizing (70,672 executions) and most of 20s in CI at 5s (1,632);
# at 1s it ran 12,983 in 20s. A failing input is saved whether or not its
# minimization finished; 0 would skip minimizing crashers too.
minimizetime=${FUZZMINIMIZETIME:-1s}
summary=()
while read -r file name; do
	if [[ $# -gt 0 && ! " $* " =~ " $name " ]]; then continue; fi
	pkg=./$(dirname "$file")
	echo "== $pkg $name ($fuzztime)"
	log=$(mktemp)
	# -parallel 2: CI and the project machine have two cores.
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimizetime" -parallel 2 2>&1 | tee "$log"; then
		rm -f "$log"
		echo "fuzz: $name failed; the input is saved under $pkg/testdata/fuzz/$name" >&2
		exit 1
	fi
	# No execs line when the time ran out while the corpus was still being
	# measured (the baseline coverage): the summary then shows "?".
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
	rm -f "$log"
	summary+=("$(printf '%-20s %-24s %12s execs in %s' "$name" "$pkg" "${execs:-?}" "$fuzztime")")
done < <(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's|^\./||; s|:func (Fuzz[A-Za-z0-9_]*)\($| \1|' | sort)
printf '%s\n' "${summary[@]}"
