#!/usr/bin/env bash
# Checks that a binary carries Debian's hardening (what hardening-check reports): a position
# independent executable, full RELRO (read-only relocations, BIND_NOW), the stack protector
# and fortified libc calls. Usage: check_hardening.sh BINARY
set -euo pipefail
binary="$1"
fail() { echo "check_hardening: $binary: $*" >&2; exit 1; }

header=$(readelf -h "$binary")
grep -Eq 'Type:[[:space:]]+DYN' <<<"$header" || fail "not a position independent executable"
program=$(readelf -lW "$binary")
grep -q 'GNU_RELRO' <<<"$program" || fail "no RELRO segment"
dynamic=$(readelf -dW "$binary")
grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$dynamic" || fail "no BIND_NOW (partial RELRO only)"
grep -Eq 'FLAGS_1.*PIE' <<<"$dynamic" || fail "no PIE flag"
symbols=$(readelf --dyn-syms -W "$binary")
grep -q '__stack_chk_fail' <<<"$symbols" || fail "no stack protector"
grep -Eq '__[a-z_]+_chk@' <<<"$symbols" || fail "no fortified libc calls"
echo "check_hardening: $binary: PIE, full RELRO, stack protector, fortify"
