#!/bin/bash
# Builds the Debian package with CPack, installs it on this machine with dpkg (twice: install,
# then reinstall as an upgrade), checks what it installed and that the relay runs as the
# mxrelay user on the packaged configuration, then purges it and checks nothing is left.
# Usage: install_package.sh BUILD_DIR VERSION. Needs root; exit 77 (skipped) otherwise.
set -euo pipefail

build_dir=$1
version=$2
spool=/var/spool/mxrelay
config=/etc/mxrelay/mxrelay.toml

fail() {
  echo "FAIL: $*"
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: installing a package needs root"
  exit 77
fi
if dpkg-query -W -f='${Status}' mxrelay 2>/dev/null | grep -q installed; then
  fail "an mxrelay package is already installed; remove it first: dpkg --purge mxrelay"
fi
if getent passwd mxrelay >/dev/null; then
  fail "a user mxrelay exists without the package; this test would delete it"
fi

work=$(mktemp -d)
relay_pid=""
cleanup() {
  [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true
  dpkg --purge mxrelay >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/package" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(echo "$work"/package/mxrelay_*.deb)
[[ -f $deb ]] || fail "cpack made no mxrelay_*.deb"
echo "built $(basename "$deb")"

[[ $(dpkg-deb -f "$deb" Version) == "$version-1" ]] || fail "package version is not $version-1"
depends=$(dpkg-deb -f "$deb" Depends)
for package in adduser dns-root-data libunbound8 libssl3 libtomlplusplus3 \
  libprometheus-cpp-pull1.0 libidn2-0; do
  [[ $depends =~ (^|, )$package( |,|$) ]] || fail "Depends lacks $package: $depends"
done

# --- install, then reinstall (the upgrade path of the maintainer scripts) -------------------
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i (reinstall)"; }

for file in /usr/sbin/mxrelay "$config" /etc/mxrelay/transport.toml \
  /lib/systemd/system/mxrelay.service /usr/share/man/man8/mxrelay.8.gz \
  /usr/share/doc/mxrelay/examples/alerts.yml \
  /usr/share/doc/mxrelay/examples/mxrelay-dashboard.json; do
  [[ -f $file ]] || fail "$file is not installed"
done
conffiles=$(dpkg-query -W -f='${Conffiles}' mxrelay)
for file in "$config" /etc/mxrelay/transport.toml; do
  [[ $conffiles == *"$file "* ]] || fail "$file is not a conffile"
done
grep -q '^listen = \["127.0.0.1:25"\]' "$config" || fail "$config does not listen on 127.0.0.1:25"
grep -q "^dir = \"$spool\"" "$config" || fail "$config does not spool to $spool"

getent passwd mxrelay >/dev/null || fail "no user mxrelay"
getent group mxrelay >/dev/null || fail "no group mxrelay"
[[ $(getent passwd mxrelay | cut -d: -f7) == */nologin ]] || fail "mxrelay can log in"
[[ $(stat -c '%U:%G %a' "$spool") == "mxrelay:mxrelay 700" ]] ||
  fail "$spool is $(stat -c '%U:%G %a' "$spool"), not mxrelay:mxrelay 700"

[[ $(/usr/sbin/mxrelay version | head -n 1) == "mxrelay $version" ]] || fail "mxrelay version"
/usr/sbin/mxrelay check -c "$config" || fail "mxrelay check on $config"
as_relay_user=(setpriv --reuid=mxrelay --regid=mxrelay --init-groups --)
"${as_relay_user[@]}" /usr/sbin/mxrelay check -c "$config" >/dev/null ||
  fail "the mxrelay user cannot check $config"
{
  echo 'transport_file = "transport.toml"'
  cat "$config"
} >"$work/with-transport.toml"
cp /etc/mxrelay/transport.toml "$work/"
/usr/sbin/mxrelay check -c "$work/with-transport.toml" ||
  fail "the packaged config with the example transport map is invalid"
man -l /usr/share/man/man8/mxrelay.8.gz >/dev/null 2>&1 || [[ ! -x /usr/bin/man ]] ||
  fail "man cannot render mxrelay(8)"
if command -v systemd-analyze >/dev/null; then
  report=$(systemd-analyze verify --man=no /lib/systemd/system/mxrelay.service 2>&1) ||
    fail "systemd-analyze verify: $report"
  [[ $report != *mxrelay.service* ]] || fail "systemd-analyze verify: $report"
fi

# --- run the relay as the mxrelay user on the packaged spool --------------------------------
address="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
sed -e "s/^listen = \[\"127.0.0.1:25\"\]/listen = [\"$address:2525\"]/" \
  -e 's/^listen = "[^"]*"/listen = ""/' "$config" >"$work/serve.toml"
chmod 644 "$work/serve.toml"
chmod 755 "$work"
coproc RELAY { exec "${as_relay_user[@]}" /usr/sbin/mxrelay serve -c "$work/serve.toml" 2>&1; }
# shellcheck disable=SC2153 # coproc sets RELAY_PID
relay_pid=$RELAY_PID
exec {relay_output}<&"${RELAY[0]}"

# await_log PATTERN: reads the relay's log lines until one matches PATTERN (10 s at most).
await_log() {
  local line
  while IFS= read -r -t 10 line <&"$relay_output"; do
    echo "  relay: $line"
    [[ $line =~ $1 ]] && return 0
  done
  fail "the relay did not log $1"
}

await_log 'event=started'
exec {smtp}<>"/dev/tcp/$address/2525"
IFS= read -r -t 10 greeting <&"$smtp" || fail "no SMTP greeting"
[[ $greeting == 220* ]] || fail "greeting: $greeting"
printf 'QUIT\r\n' >&"$smtp"
exec {smtp}>&-
"${as_relay_user[@]}" /usr/sbin/mxrelay reload -c "$work/serve.toml" >/dev/null ||
  fail "mxrelay reload over the control socket as the mxrelay user"
await_log 'event=reload .*result=ok'
kill -HUP "$relay_pid"
await_log 'event=reload .*result=ok'
kill -TERM "$relay_pid"
await_log 'event=stopped'
wait "$relay_pid" || fail "the relay exited with status $? after SIGTERM"
relay_pid=""
[[ $(stat -c '%U' "$spool/queue") == mxrelay ]] || fail "the relay did not create $spool/queue"

# --- purge ----------------------------------------------------------------------------------
dpkg --purge mxrelay >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge"; }
! dpkg-query -W -f='${Status}' mxrelay 2>/dev/null | grep -q installed || fail "still installed"
! getent passwd mxrelay >/dev/null || fail "user mxrelay left after purge"
! getent group mxrelay >/dev/null || fail "group mxrelay left after purge"
for path in "$spool" /etc/mxrelay /usr/sbin/mxrelay /lib/systemd/system/mxrelay.service \
  /usr/share/man/man8/mxrelay.8.gz /usr/share/doc/mxrelay; do
  [[ ! -e $path ]] || fail "$path left after purge"
done
echo "package installed, checked, run and purged"
