#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang 16, ASan, UBSan) in build-fuzz/ and runs each for a
# while. Usage: tests/fuzz/run.sh [--seconds N] [--jobs J] [HARNESS...]
#   --seconds N  how long each harness runs (default 3600, the hour of a full run; CI uses 30)
#   --jobs J     harnesses run side by side (default 1)
#   HARNESS      smtp_server_session, smtp_client_session, smtp_arguments, eight_bit_downgrade,
#                spool_record, log_scan, dsn_report, config, dns_route, spf, mta_sts,
#                throttle_reply (default: all)
# Each harness starts from its committed seeds (tests/fuzz/corpus/NAME) plus what earlier runs
# found (build-fuzz/fuzz-work/NAME); a crash leaves its input in build-fuzz/fuzz-artifacts/NAME
# and makes the script exit non-zero. Turn each such input into a regression: copy it to
# tests/fuzz/regressions/NAME/ with a name that says what it broke.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=3600
jobs=1
harnesses=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
((${#harnesses[@]})) || harnesses=(smtp_server_session smtp_client_session smtp_arguments
                                   eight_bit_downgrade spool_record log_scan dsn_report config dns_route spf
                                   mta_sts throttle_reply)

build="$root/build-fuzz"
CC=clang-16 CXX=clang++-16 cmake -S "$root" -B "$build" -DMXRELAY_FUZZ=ON -DMXRELAY_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${MXRELAY_JOBS:-2}" --target fuzzers

# run_one NAME: one harness for $seconds; its last lines go to build-fuzz/fuzz-logs/NAME.log.
run_one() {
  local name="$1"
  local work="$build/fuzz-work/$name" artifacts="$build/fuzz-artifacts/$name"
  local log="$build/fuzz-logs/$name.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  local started=$SECONDS status=0 max_len=8192
  [[ "$name" != config ]] || max_len=65536  # the reference configuration is larger
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ASAN_OPTIONS="detect_leaks=1" \
    "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  local runs cov
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 || echo "cov: ?")
  if ((status == 0)); then
    printf '%-22s clean  %6ss  %12s runs  %s\n' "$name" "$((SECONDS - started))" "$runs" "$cov"
  else
    printf '%-22s FAILED %6ss  see %s\n' "$name" "$((SECONDS - started))" "$log"
    grep -E 'ERROR|property broken|SUMMARY' "$log" | head -n 5
  fi
  return "$status"
}

failed=0
running=0
for name in "${harnesses[@]}"; do
  run_one "$name" &
  if ((++running >= jobs)); then
    wait -n || failed=1
    ((running--))
  fi
done
while ((running > 0)); do
  wait -n || failed=1
  ((running--))
done
exit "$failed"
