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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Dovecot's packaged service is not needed: the tests start private instances on their own ports.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
pkill -x dovecot 2>/dev/null || true
