#!/usr/bin/env bash
# Installs everything mxrelay needs to build, run and test on Debian 12, as root,
# non-interactively and idempotently. Usage: packaging/install-deps.sh [--build-only]
# (--build-only: what building and running needs, without the test peers).
set -euo pipefail

build_packages=(
  g++ cmake make pkg-config ccache git ca-certificates
  libboost1.81-dev libssl-dev libunbound-dev libevent-dev
  libtomlplusplus-dev prometheus-cpp-dev libgtest-dev libgmock-dev
  dns-root-data libidn2-dev zlib1g-dev libsystemd-dev libhiredis-dev
)
test_packages=(
  nsd unbound ldnsutils bind9-dnsutils postfix swaks libnet-ssleay-perl prometheus
  python3 python3-aiosmtpd python3-dnslib python3-dkim python3-nacl opendkim opendkim-tools
  openssl curl procps
  systemd dpkg-dev file lintian pflogsumm fail2ban
  clang-16 libclang-rt-16-dev redis-server librocksdb-dev
)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--build-only" ]] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

# Installing a peer (nsd, postfix, unbound) must never start a system daemon.
if [[ ! -x /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi
# Postfix: write no main.cf, configure nothing.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
