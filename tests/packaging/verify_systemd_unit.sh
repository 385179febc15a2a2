#!/bin/sh
# Checks packaging/systemd/mxrelay.service with systemd-analyze: `verify` must report nothing
# about the unit, and the offline `security` exposure score must stay at 2.0 ("OK") or below.
# The unit's /usr/sbin/mxrelay is replaced by the built binary so that it runs uninstalled.
# Usage: verify_systemd_unit.sh UNIT_FILE MXRELAY_BINARY. Exit 77 (skipped) without systemd-analyze.
set -eu

unit=$1
binary=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze is not installed (Debian package systemd)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/sbin/mxrelay#$binary#g" "$unit" >"$work/mxrelay.service"

status=0
report=$(systemd-analyze verify --man=no "$work/mxrelay.service" 2>&1) || status=$?
if [ "$status" -ne 0 ] || printf '%s\n' "$report" | grep -q 'mxrelay\.service'; then
  printf 'systemd-analyze verify found problems (exit %s):\n%s\n' "$status" "$report"
  exit 1
fi
echo "systemd-analyze verify: no findings"

if ! systemd-analyze security --offline=true --threshold=20 --no-pager \
  "$work/mxrelay.service" >"$work/security.txt" 2>&1; then
  cat "$work/security.txt"
  echo "systemd-analyze security: exposure above 2.0"
  exit 1
fi
grep 'Overall exposure' "$work/security.txt"
