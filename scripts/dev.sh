#!/usr/bin/env bash
# The dev platform on a local kind cluster, with local state:
#   scripts/dev.sh up | preview | destroy | outputs
# State lives in ./state (a Pulumi file backend, git-ignored). The dev stack's secrets use a
# passphrase; unless PULUMI_CONFIG_PASSPHRASE is set, a fixed local-only one is used. That
# default is for the dev stack only: prod stacks need your own secrets provider.
# Exit codes: 0 done, 2 bad usage, 3 a prerequisite is missing (the message names it), else
# what the failing step returned.
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:-up}"
case "$action" in
  up | preview | destroy | outputs) ;;
  *) echo "dev.sh: unknown action '$action'; use up, preview, destroy or outputs" >&2; exit 2 ;;
esac

missing=()
need() {
  command -v "$1" >/dev/null 2>&1 || missing+=("$1: $2")
}
need node "install Node.js 20 or newer (it brings npm)"
need npm "install Node.js 20 or newer (it brings npm)"
need pulumi "install the Pulumi CLI 3.259 or newer"
need kind "install kind v0.33.0 or newer"
if command -v docker >/dev/null 2>&1; then
  docker info >/dev/null 2>&1 || missing+=("docker: the Docker client is installed but no Docker engine answers (start Docker; kind runs its nodes as containers)")
else
  missing+=("docker: install Docker (kind runs its nodes as containers)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "dev.sh: cannot run '$action', missing prerequisites (README.md, Prerequisites):" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 3
fi

# Installs the root package and every package folder (policies/, operator/, ...) when missing
# or stale; a no-op otherwise.
node scripts/install.mjs
# Node >= 22 for the program: the project's own (devDependency `node`) comes first.
export PATH="$PWD/node_modules/.bin:$PATH"

mkdir -p state
export PULUMI_BACKEND_URL="file://$PWD/state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-local-dev-only}"
pulumi stack select dev --create --secrets-provider passphrase >/dev/null

case "$action" in
  up) pulumi up --stack dev --yes ;;
  preview) pulumi preview --stack dev --diff ;;
  destroy) pulumi destroy --stack dev --yes ;;
  outputs) pulumi stack output --stack dev ;;
esac
