#!/usr/bin/env bash
# The browser tests drive Debian's chromium. Install it when it is missing and we
# may (root with apt-get); otherwise say the one command that installs it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing; installing it with apt-get (browser tests need it)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium. Install it with:  sudo apt-get install -y chromium" >&2
exit 1
