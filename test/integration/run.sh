#!/usr/bin/env bash
# npm run test:integration: the integration suite against the local control plane.
# Sources the tools' env.sh (build-tools.sh), starts the cluster unless one is running (and
# then stops it at the end), prints the charts it cannot install, and runs
# test/integration/*.itest.ts one file at a time (they share the cluster).
# Args: test files to run instead of all of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/test/integration/tools"
CACHE="${PLATFORM_TOOLS_CACHE:-$HOME/.cache/platform-tools}"
cd "$ROOT"

die() { printf '[test:integration] ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '[test:integration] %s\n' "$*" >&2; }

[ -f "$CACHE/env.sh" ] || die "the integration tools are not built ($CACHE/env.sh missing): run test/integration/tools/build-tools.sh (about 40 min on 2 cores the first time, seconds once cached)"
# shellcheck source=/dev/null
source "$CACHE/env.sh"
export PATH="$ROOT/node_modules/.bin:$PATH"
for t in kube-apiserver kube-controller-manager kube-scheduler etcd kwok kubectl pulumi pulumi-language-nodejs pulumi-resource-kubernetes; do
  command -v "$t" >/dev/null || die "$t is not built: run test/integration/tools/build-tools.sh"
done
# The program, the policy pack and the operator: installed when missing or stale.
node "$ROOT/scripts/install.mjs"

t0=$SECONDS
if "$TOOLS/cluster.sh" status >/dev/null 2>&1; then
  log "using the running cluster (${CLUSTER_STATE_DIR:-/tmp/platform-cluster})"
else
  "$TOOLS/cluster.sh" start >/dev/null
  trap '"$TOOLS/cluster.sh" stop' EXIT
fi
export KUBECONFIG="${CLUSTER_STATE_DIR:-/tmp/platform-cluster}/kubeconfig"

node --import tsx test/integration/charts-note.ts
if [ $# -gt 0 ]; then files=("$@"); else files=("test/integration/*.itest.ts"); fi
rc=0
node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}" || rc=$?
log "finished in $((SECONDS - t0))s (exit $rc)"
exit $rc
