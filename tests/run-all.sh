#!/usr/bin/env bash
# The one command that installs, builds and runs every mxrelay test on Debian 12 (as root
# on a fresh machine): dependencies and test peers (packaging/install-deps.sh), a build in
# build/ with all tests (labels unit, integration, e2e), then an AddressSanitizer and
# UndefinedBehaviorSanitizer build in build-asan/ running the unit tests, and every libFuzzer
# harness for 30 seconds (tests/fuzz/run.sh, clang 16, in build-fuzz/). Safe to run
# again; exits non-zero if anything fails. MXRELAY_JOBS sets the build parallelism (2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${MXRELAY_JOBS:-2}"
cd "$root"

"$root/packaging/install-deps.sh"

failed=0
summaries=()

# run_ctest NAME BUILD_DIR [CTEST_ARGS...]: runs ctest, keeps its summary line.
run_ctest() {
  local name="$1" dir="$2"
  shift 2
  local log="$dir/ctest-summary.log"
  if ! ctest --test-dir "$dir" --output-on-failure --no-tests=error "$@" 2>&1 | tee "$log"; then
    failed=1
  fi
  summaries+=("$name: $(grep -E 'tests passed|No tests were found' "$log" | tail -n 1 || true)")
}

cmake -S "$root" -B "$root/build" -DMXRELAY_SANITIZE=OFF -DMXRELAY_TESTS=ON
cmake --build "$root/build" -j "$jobs"
run_ctest "all tests" "$root/build"

cmake -S "$root" -B "$root/build-asan" -DMXRELAY_SANITIZE=ON -DMXRELAY_TESTS=ON
cmake --build "$root/build-asan" -j "$jobs"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
  run_ctest "unit tests (ASan+UBSan)" "$root/build-asan" -L unit

# The fuzzers briefly; an hour each is `tests/fuzz/run.sh` (tests/fuzz/README.md).
fuzz_log="$root/build-fuzz/run-summary.log"
mkdir -p "$root/build-fuzz"
if tests/fuzz/run.sh --seconds "${MXRELAY_FUZZ_SECONDS:-30}" --jobs "$jobs" | tee "$fuzz_log"; then
  summaries+=("fuzzers: $(grep -c ' clean ' "$fuzz_log") harnesses clean")
else
  failed=1
  summaries+=("fuzzers: FAILED ($(grep -c ' FAILED ' "$fuzz_log") harnesses)")
fi

echo
echo "== mxrelay test summary =="
printf '%s\n' "${summaries[@]}"
if ((failed)); then
  echo "FAILED"
  exit 1
fi
echo "OK"
