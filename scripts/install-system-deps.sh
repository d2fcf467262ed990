#!/usr/bin/env bash
# Debian packages the test suite needs (real IMAP server, real browser). Idempotent; run as root.
set -euo pipefail
packages=(dovecot-imapd dovecot-core chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Dovecot's packaged service is not needed: the tests start private instances with their own
  # configuration, run directory and free loopback ports (tests/support/mailservers.py), so a
  # system Dovecot, running or not, is no concern of theirs. None is started by this install (a
  # policy-rc.d that refuses, unless the machine has one already); none running is stopped.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
