#!/usr/bin/env bash
# Debian's chromium for the browser test (test/integration/agent-ui.itest.ts, driven by
# playwright-core) and for the agent server's browser tool in the sandbox-runtime test.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (or sudo) for apt-get.
set -euo pipefail
log() { printf '[chromium.sh] %s\n' "$*" >&2; }
if [ -x /usr/bin/chromium ]; then
  log "$(/usr/bin/chromium --version 2>/dev/null || echo chromium) is installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log "installing Debian's chromium with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ] || { log "ERROR: apt-get finished but /usr/bin/chromium is missing"; exit 1; }
log "$(/usr/bin/chromium --version 2>/dev/null) installed"
