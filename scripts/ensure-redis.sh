#!/usr/bin/env bash
# The carom/redis tests start real redis-server processes (Debian's package, which also
# brings redis-cli for the cluster tests). Install it when it is missing and we may
# (root with apt-get); otherwise say the one command that installs it.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing; installing it with apt-get (the carom/redis tests need it)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "The carom/redis tests need Redis. Install it with:  sudo apt-get install -y redis-server" >&2
exit 1
