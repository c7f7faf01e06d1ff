#!/usr/bin/env bash
# The dev platform on a local kind cluster, with local state:
#   scripts/dev.sh up | preview | destroy | outputs
# State lives in ./state (a Pulumi file backend, git-ignored). The dev stack's secrets use a
# passphrase; unless PULUMI_CONFIG_PASSPHRASE is set, a fixed local-only one is used. That
# default is for the dev stack only: prod stacks need your own secrets provider.
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:-up}"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "dev.sh: '$1' not found on PATH: $2 (see README.md, Prerequisites)" >&2; exit 1; }
}
need pulumi "install the Pulumi CLI"
need docker "install Docker (kind runs its nodes as containers)"
need kind "install kind v0.33.0 or newer"

[ -d node_modules ] || npm ci --no-audit --no-fund
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
  *) echo "dev.sh: unknown action '$action'; use up, preview, destroy or outputs" >&2; exit 2 ;;
esac
