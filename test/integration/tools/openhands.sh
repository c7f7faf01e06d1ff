#!/usr/bin/env bash
# The OpenHands sandbox server (PyPI openhands-ai, which pins openhands-agent-server and
# openhands-sdk) in a virtualenv cached outside the repo, for test/integration/sandbox-runtime.itest.ts.
# It installs sandbox-server/requirements.lock, the lock the image installs, with every hash
# checked, and reads the openhands-ai version from it. The virtualenv's path is keyed on the
# lock's sha256, so a changed lock installs a new one (an older one is left for you to delete).
# Idempotent: a finished install leaves a .complete stamp and later runs only print the env.
#   test/integration/tools/openhands.sh          install if needed, then print the env lines
#   test/integration/tools/openhands.sh env      print the env lines only (fails if not installed)
# Env: OPENHANDS_CACHE (~/.cache/openhands-itest), OPENHANDS_PYTHON (pyenv 3.12.1).
set -euo pipefail

UV_VERSION=0.13.9
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
LOCK="$REPO/sandbox-server/requirements.lock"
CACHE="${OPENHANDS_CACHE:-$HOME/.cache/openhands-itest}"
PY="${OPENHANDS_PYTHON:-$HOME/.pyenv/versions/3.12.1/bin/python3.12}"
UV_VENV="$CACHE/uv-$UV_VERSION"

log() { printf '[openhands.sh] %s\n' "$*" >&2; }
die() { printf '[openhands.sh] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$LOCK" ] || die "no lock at $LOCK"
OPENHANDS_AI_VERSION="$(sed -n 's/^openhands-ai==\([^ ;\\]*\).*/\1/p' "$LOCK")"
[ -n "$OPENHANDS_AI_VERSION" ] || die "$LOCK pins no openhands-ai==<version>"
if command -v sha256sum >/dev/null; then LOCK_SHA="$(sha256sum "$LOCK")"; else LOCK_SHA="$(shasum -a 256 "$LOCK")"; fi
VENV="$CACHE/openhands-ai-$OPENHANDS_AI_VERSION-lock-${LOCK_SHA:0:12}"

print_env() {
  [ -f "$VENV/.complete" ] || die "openhands-ai $OPENHANDS_AI_VERSION from the current sandbox-server/requirements.lock is not installed in $VENV: run $0"
  printf 'OPENHANDS_VENV=%s\n' "$VENV"
  printf 'OPENHANDS_AI_VERSION=%s\n' "$OPENHANDS_AI_VERSION"
  printf 'OPENHANDS_AGENT_SERVER_VERSION=%s\n' "$(cat "$VENV/.agent-server-version")"
}

if [ "${1:-}" = "env" ]; then print_env; exit 0; fi

mkdir -p "$CACHE"
if [ ! -f "$UV_VENV/.complete" ]; then
  [ -x "$PY" ] || die "no Python 3.12 at $PY (set OPENHANDS_PYTHON); openhands-ai needs >=3.12,<3.14"
  log "installing uv $UV_VERSION into $UV_VENV"
  rm -rf "$UV_VENV"
  "$PY" -m venv "$UV_VENV"
  "$UV_VENV/bin/pip" install --quiet "uv==$UV_VERSION"
  touch "$UV_VENV/.complete"
fi

if [ ! -f "$VENV/.complete" ]; then
  [ -x "$PY" ] || die "no Python 3.12 at $PY (set OPENHANDS_PYTHON); openhands-ai needs >=3.12,<3.14"
  log "installing openhands-ai $OPENHANDS_AI_VERSION from sandbox-server/requirements.lock into $VENV (uv; about a minute)"
  rm -rf "$VENV"
  "$UV_VENV/bin/uv" venv --quiet --python "$PY" "$VENV"
  # sync: exactly the lock, nothing more; --require-hashes: every file checked against it.
  "$UV_VENV/bin/uv" pip sync --quiet --require-hashes --python "$VENV/bin/python" "$LOCK"
  for exe in agent-server uvicorn; do
    [ -x "$VENV/bin/$exe" ] || die "$exe missing from $VENV/bin after the install"
  done
  installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("openhands-ai"))')"
  [ "$installed" = "$OPENHANDS_AI_VERSION" ] || die "installed openhands-ai $installed, the lock pins $OPENHANDS_AI_VERSION"
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("openhands-agent-server"))' >"$VENV/.agent-server-version"
  touch "$VENV/.complete"
fi
print_env
