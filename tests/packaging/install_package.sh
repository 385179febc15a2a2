#!/bin/bash
# Builds the Debian package with CPack and checks it with lintian (no error or warning),
# installs it on this machine with dpkg (twice: install, then reinstall as an upgrade), checks
# what it installed (documentation, conffiles, the sendmail alternative) and that the relay
# runs as the mxrelay user on the packaged configuration and takes a message from
# `mxrelay sendmail`. Then the purges: with that message held in the spool, the purge keeps the
# spool (and its user) and says where it is, and a reinstall finds the message in the queue;
# with the queue empty, the purge leaves nothing behind.
# Usage: install_package.sh BUILD_DIR VERSION MAINTAINER. Needs root; exit 77 (skipped)
# otherwise.
set -euo pipefail

build_dir=$1
version=$2
maintainer=$3
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
chmod 755 "$work" # the relay's user reads the configurations written here
relay_pid=""
# The user did not exist before this test (checked above), so a spool and user that a failed
# run leaves behind are this test's own.
cleanup() {
  [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true
  dpkg --purge mxrelay >/dev/null 2>&1 || true
  rm -rf "$work" "$spool"
  userdel mxrelay 2>/dev/null || true
  groupdel mxrelay 2>/dev/null || true
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/package" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(echo "$work"/package/mxrelay_*.deb)
[[ -f $deb ]] || fail "cpack made no mxrelay_*.deb"
echo "built $(basename "$deb")"

[[ $(dpkg-deb -f "$deb" Version) == "$version-1" ]] || fail "package version is not $version-1"
[[ $(dpkg-deb -f "$deb" Maintainer) == "$maintainer" ]] ||
  fail "Maintainer is $(dpkg-deb -f "$deb" Maintainer), not MXRELAY_MAINTAINER ($maintainer)"
command -v lintian >/dev/null || fail "lintian is not installed (packaging/install-deps.sh)"
lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1 ||
  { cat "$work/lintian.log"; fail "lintian reports errors or warnings"; }
depends=$(dpkg-deb -f "$deb" Depends)
for package in adduser dns-root-data libunbound8 libssl3 libtomlplusplus3 \
  libprometheus-cpp-pull1.0 libidn2-0 libhiredis0.14; do
  [[ $depends =~ (^|, )$package( |,|$) ]] || fail "Depends lacks $package: $depends"
done

# --- install, then reinstall (the upgrade path of the maintainer scripts) -------------------
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i (reinstall)"; }

for file in /usr/sbin/mxrelay "$config" /etc/mxrelay/transport.toml \
  /lib/systemd/system/mxrelay.service /usr/share/man/man8/mxrelay.8.gz \
  /usr/share/doc/mxrelay/examples/alerts.yml \
  /usr/share/doc/mxrelay/examples/mxrelay-dashboard.json /usr/share/doc/mxrelay/copyright \
  /usr/share/doc/mxrelay/changelog.Debian.gz /usr/share/doc/mxrelay/README.md.gz \
  /etc/fail2ban/filter.d/mxrelay.conf /etc/fail2ban/jail.d/mxrelay.conf; do
  [[ -f $file ]] || fail "$file is not installed"
done
[[ $(zcat /usr/share/doc/mxrelay/changelog.Debian.gz | head -n 1) == "mxrelay ($version-1) "* ]] ||
  fail "the changelog's newest entry is not $version-1"
[[ $(zcat /usr/share/doc/mxrelay/README.md.gz | head -n 1) == "# mxrelay" ]] ||
  fail "/usr/share/doc/mxrelay/README.md.gz is not the README"

# sendmail_alternative: the path the sendmail alternative offers for mxrelay ("" for none).
sendmail_alternative() {
  update-alternatives --query sendmail 2>/dev/null | sed -n 's/^Alternative: \(.*mxrelay\)$/\1/p'
}
[[ $(sendmail_alternative) == /usr/sbin/mxrelay ]] ||
  fail "mxrelay is not a sendmail alternative: $(update-alternatives --query sendmail 2>&1)"
conffiles=$(dpkg-query -W -f='${Conffiles}' mxrelay)
for file in "$config" /etc/mxrelay/transport.toml /etc/fail2ban/filter.d/mxrelay.conf \
  /etc/fail2ban/jail.d/mxrelay.conf; do
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
chmod 644 "$work/with-transport.toml" "$work/transport.toml"
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
# held.example is held by the transport map, so a message to it stays queued.
address="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
{
  echo 'transport_file = "hold-transport.toml"'
  sed -e "s/^listen = \[\"127.0.0.1:25\"\]/listen = [\"$address:2525\"]/" \
    -e 's/^listen = "[^"]*"/listen = ""/' "$config"
} >"$work/serve.toml"
printf '[transport]\n"held.example" = { action = "hold", reason = "packaging test" }\n' \
  >"$work/hold-transport.toml"
chmod 644 "$work/serve.toml" "$work/hold-transport.toml"

# await_log PATTERN: reads the relay's log lines until one matches PATTERN (10 s at most).
await_log() {
  local line
  while IFS= read -r -t 10 line <&"$relay_output"; do
    echo "  relay: $line"
    [[ $line =~ $1 ]] && return 0
  done
  fail "the relay did not log $1"
}

start_relay() {
  coproc RELAY { exec "${as_relay_user[@]}" /usr/sbin/mxrelay serve -c "$work/serve.toml" 2>&1; }
  # shellcheck disable=SC2153 # coproc sets RELAY_PID
  relay_pid=$RELAY_PID
  exec {relay_output}<&"${RELAY[0]}"
  await_log 'event=started'
}

stop_relay() {
  kill -TERM "$relay_pid"
  await_log 'event=stopped'
  wait "$relay_pid" || fail "the relay exited with status $? after SIGTERM"
  relay_pid=""
  exec {relay_output}<&-
}

# queued_ids: the IDs `mxrelay queue list` shows, one a line.
queued_ids() {
  "${as_relay_user[@]}" /usr/sbin/mxrelay queue -c "$work/serve.toml" list --json |
    python3 -c 'import json, sys; [print(e["id"]) for e in json.load(sys.stdin)["entries"]]'
}

start_relay
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

printf 'Subject: kept across a purge\n\nqueued\n' |
  /usr/sbin/mxrelay sendmail -c "$work/serve.toml" -f root@client.example user@held.example ||
  fail "mxrelay sendmail to the packaged relay"
await_log 'event=accepted'
held_id=$(queued_ids)
[[ $held_id =~ ^[0-9A-F]+$ ]] || fail "the queue does not list the one message: $held_id"
stop_relay
[[ $(stat -c '%U' "$spool/queue") == mxrelay ]] || fail "the relay did not create $spool/queue"

# --- purge with mail in the spool: the spool and its user stay; a reinstall delivers it ------
dpkg --purge mxrelay >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge"; }
grep -q "$spool still holds mail" "$work/dpkg.log" ||
  { cat "$work/dpkg.log"; fail "the purge did not say that $spool was kept"; }
grep -q "rm -rf $spool" "$work/dpkg.log" || fail "the purge did not say how to remove $spool"
sed 's/^/  dpkg --purge: /' "$work/dpkg.log"
[[ -f $spool/queue/$held_id ]] || fail "the purge deleted the queued message $held_id"
getent passwd mxrelay >/dev/null || fail "the purge removed the user that owns the kept spool"
[[ -z $(sendmail_alternative) ]] || fail "the sendmail alternative is left after purge"
for path in /etc/mxrelay /usr/sbin/mxrelay /usr/share/doc/mxrelay; do
  [[ ! -e $path ]] || fail "$path left after purge"
done

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i after purge"; }
[[ $(stat -c '%U:%G %a' "$spool") == "mxrelay:mxrelay 700" ]] ||
  fail "$spool is $(stat -c '%U:%G %a' "$spool") after the reinstall"
start_relay
[[ $(queued_ids) == "$held_id" ]] || fail "the reinstalled relay does not list $held_id"
"${as_relay_user[@]}" /usr/sbin/mxrelay queue -c "$work/serve.toml" delete "$held_id" >/dev/null ||
  fail "mxrelay queue delete $held_id"
stop_relay

# --- purge with an empty queue: nothing is left -----------------------------------------------
dpkg --purge mxrelay >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge"; }
! grep -q "still holds mail" "$work/dpkg.log" || fail "the purge kept an empty spool"
[[ -z $(sendmail_alternative) ]] || fail "the sendmail alternative is left after purge"
! dpkg-query -W -f='${Status}' mxrelay 2>/dev/null | grep -q installed || fail "still installed"
! getent passwd mxrelay >/dev/null || fail "user mxrelay left after purge"
! getent group mxrelay >/dev/null || fail "group mxrelay left after purge"
for path in "$spool" /etc/mxrelay /usr/sbin/mxrelay /lib/systemd/system/mxrelay.service \
  /usr/share/man/man8/mxrelay.8.gz /usr/share/doc/mxrelay; do
  [[ ! -e $path ]] || fail "$path left after purge"
done
echo "package linted, installed, checked, run, purged with mail kept, reinstalled and purged"
