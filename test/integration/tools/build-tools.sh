#!/usr/bin/env bash
# Build the integration-test toolchain from Go modules (via the Go module proxy) into a cache
# outside the repo. Idempotent: each group is cached under $CACHE/<name>-<version>/ and skipped when
# its ".complete" stamp exists.
#
# Usage: build-tools.sh [group...]      groups: kubernetes kwok etcd pulumi providers (default: all)
# Env:   PLATFORM_TOOLS_CACHE  cache root (default: $HOME/.cache/platform-tools)
#        BUILD_JOBS            go build -p (default: 2)
#        KEEP_GOING=1          continue with the next group after a failure (exit code still non-zero)
#
# At the end it writes $CACHE/env.sh; `source "$CACHE/env.sh"` puts every tool on PATH and sets
# PULUMI_HOME (plugins are installed there with `pulumi plugin install ... --file`).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

CACHE="${PLATFORM_TOOLS_CACHE:-$HOME/.cache/platform-tools}"
JOBS="${BUILD_JOBS:-2}"
LOGDIR="$CACHE/logs"
SRCDIR="$CACHE/src"           # throw-away wrapper modules (go.mod/go.sum/main.go only)
mkdir -p "$CACHE" "$LOGDIR" "$SRCDIR"

# Go settings: modules only, no workspace, never download another toolchain, resolve missing
# requirements in the wrapper modules.
export GOFLAGS="-mod=mod"
export GOWORK=off
export GOTOOLCHAIN=local
export CGO_ENABLED="${CGO_ENABLED:-0}"
GOPROXY_EFFECTIVE="$(go env GOPROXY)"

LDFLAGS_BASE="-s -w"
SUMMARY=()
FAILED=()

log() { printf '[build-tools] %s\n' "$*" >&2; }
die() { printf '[build-tools] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"

# gobuild <logfile> <outdir> <ldflags> <pkg...>  (run inside a module dir)
gobuild() {
  local logf="$1" out="$2" ld="$3"; shift 3
  nice -n 10 go build -p "$JOBS" -trimpath -ldflags="$LDFLAGS_BASE $ld" -o "$out/" "$@" >>"$logf" 2>&1
}

# Print the replace directives of a go.mod as "old[@ver] => new[ ver]" lines (block and single form).
gomod_replaces() {
  awk '
    /^replace[ \t]*\(/ { inblk=1; next }
    inblk && /^\)/      { inblk=0; next }
    inblk               { sub(/\/\/.*/, ""); if ($0 ~ /=>/) print; next }
    /^replace[ \t]/     { sub(/^replace[ \t]+/, ""); sub(/\/\/.*/, ""); print }
  ' "$1" | sed -e 's/^[ \t]*//' -e 's/[ \t]*$//' | grep -v '^$' || true
}

# Path of a module version's go.mod in the module cache (downloads it through the proxy).
modfile() {
  local mv="$1" out
  out="$(go mod download -json "$mv" 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  printf '%s\n' "$out" | sed -n 's/^[ \t]*"GoMod": "\(.*\)",\{0,1\}$/\1/p'
}

# write_wrapper <dir> <wrapper-module-name> <require-lines> <replace-lines>
write_wrapper() {
  local dir="$1" name="$2" req="$3" rep="$4"
  rm -rf "$dir"; mkdir -p "$dir"
  {
    echo "module $name"
    echo
    echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/').0"
    echo
    echo "require ("
    printf '%s\n' "$req" | sed 's/^/\t/'
    echo ")"
    if [ -n "$rep" ]; then
      echo
      echo "replace ("
      printf '%s\n' "$rep" | sed 's/^/\t/'
      echo ")"
    fi
  } >"$dir/go.mod"
}

# run_group <name> <version> <function> : cache/skip/timing/failure handling around a builder.
run_group() {
  local name="$1" ver="$2" fn="$3"
  local dest="$CACHE/$name-$ver" logf="$LOGDIR/$name-$ver.log"
  if [ -f "$dest/.complete" ]; then
    log "$name $ver: cached in $dest (skip)"
    SUMMARY+=("$(printf '%-12s %-10s cached' "$name" "$ver")")
    return 0
  fi
  rm -rf "$dest"; mkdir -p "$dest/bin"
  : >"$logf"
  log "$name $ver: building (log: $logf)"
  local t0=$SECONDS
  if ( set -euo pipefail; "$fn" "$dest" "$logf" ); then
    local dt=$((SECONDS - t0))
    printf 'version=%s\nbuilt=%s\nseconds=%s\ngoversion=%s\n' "$ver" "$(date -u +%FT%TZ)" "$dt" "$(go env GOVERSION)" >"$dest/.complete"
    log "$name $ver: built in ${dt}s -> $(cd "$dest/bin" && ls | tr '\n' ' ')"
    SUMMARY+=("$(printf '%-12s %-10s built in %4ss  (%s)' "$name" "$ver" "$dt" "$(du -sh "$dest/bin" | cut -f1)")")
  else
    local dt=$((SECONDS - t0))
    log "$name $ver: FAILED after ${dt}s. Last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
    SUMMARY+=("$(printf '%-12s %-10s FAILED after %ss (see %s)' "$name" "$ver" "$dt" "$logf")")
    FAILED+=("$name")
    [ "${KEEP_GOING:-0}" = 1 ] || { print_summary; exit 1; }
  fi
}

print_summary() {
  log "summary (cache: $CACHE, GOPROXY=$GOPROXY_EFFECTIVE):"
  local l; for l in "${SUMMARY[@]}"; do printf '    %s\n' "$l" >&2; done
}

# ---------------------------------------------------------------------------------------------
# Kubernetes control plane: k8s.io/kubernetes pins its staging modules (k8s.io/api, ...) as v0.0.0
# with local "./staging/..." replaces, so `go install k8s.io/kubernetes/cmd/...@v1.x` refuses.
# A wrapper module requires k8s.io/kubernetes and replaces every staging module with its published
# v0.<minor>.<patch> version.
build_kubernetes() {
  local dest="$1" logf="$2" src="$SRCDIR/kubernetes-$KUBERNETES_VERSION" mf req rep
  mf="$(modfile "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  [ -n "$mf" ] || { echo "cannot resolve k8s.io/kubernetes@$KUBERNETES_VERSION" >>"$logf"; return 1; }
  req="k8s.io/kubernetes $KUBERNETES_VERSION"
  # staging modules = those k8s.io/kubernetes requires at v0.0.0 (and replaces with ./staging/...)
  rep="$(gomod_replaces "$mf" | awk -v v="$KUBERNETES_STAGING_VERSION" '$3 ~ /^\.\/staging\// {print $1 " => " $1 " " v}')"
  local staged; staged="$(awk '$2=="v0.0.0"{print $1}' "$mf" | sort -u)"
  rep="$(printf '%s\n' "$rep" | awk 'NR==FNR{need[$1]=1; next} need[$1]' <(printf '%s\n' "$staged") -)"
  [ -n "$rep" ] || { echo "no staging replaces found in $mf" >>"$logf"; return 1; }
  write_wrapper "$src" platformtools/kubernetes "$req" "$rep"
  # keep upstream's godebug defaults (affects runtime behaviour of the main module's binaries)
  grep '^godebug' "$mf" >>"$src/go.mod" || true
  local gv="$KUBERNETES_VERSION" maj minor
  maj="$(echo "$gv" | sed -E 's/^v([0-9]+)\..*/\1/')"; minor="$(echo "$gv" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')"
  local ld="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$gv -X $p.gitMajor=$maj -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$src" && gobuild "$logf" "$dest/bin" "$ld" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler)
  "$dest/bin/kube-apiserver" --version >>"$logf" 2>&1
}

# kwok (sigs.k8s.io/kwok) has no replace directives: plain module build.
build_kwok() {
  local dest="$1" logf="$2" src="$SRCDIR/kwok-$KWOK_VERSION"
  write_wrapper "$src" platformtools/kwok "sigs.k8s.io/kwok $KWOK_VERSION" ""
  (cd "$src" && gobuild "$logf" "$dest/bin" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
      sigs.k8s.io/kwok/cmd/kwok)
  "$dest/bin/kwok" --version >>"$logf" 2>&1 || true
}

# etcd: the `etcd` main package lives in the unpublishable root module; etcdmain (server/v3) is the
# real entry point, so the wrapper has a 3-line main.go. server/v3 replaces its sibling modules
# with ../api etc.; those are published at the same version.
build_etcd() {
  local dest="$1" logf="$2" src="$SRCDIR/etcd-$ETCD_VERSION" mf rep
  mf="$(modfile "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
  [ -n "$mf" ] || return 1
  rep="$(gomod_replaces "$mf" | awk -v v="$ETCD_VERSION" '$3 ~ /^\.\.\// {print $1 " => " $1 " " v}')"
  write_wrapper "$src" platformtools/etcd "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$rep"
  mkdir -p "$src/etcd"
  cat >"$src/etcd/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$src" && gobuild "$logf" "$dest/bin" "" ./etcd)
  "$dest/bin/etcd" --version >>"$logf" 2>&1
}

# ---------------------------------------------------------------------------------------------
# PULUMI_PLACEHOLDER

# ---------------------------------------------------------------------------------------------
write_env() {
  local envf="$CACHE/env.sh" path="" name ver d
  for pair in "kubernetes:$KUBERNETES_VERSION" "kwok:$KWOK_VERSION" "etcd:$ETCD_VERSION" \
              "pulumi:$PULUMI_VERSION"; do
    name="${pair%%:*}"; ver="${pair#*:}"; d="$CACHE/$name-$ver/bin"
    [ -f "$CACHE/$name-$ver/.complete" ] && path="$path${path:+:}$d"
  done
  {
    echo "# generated by $HERE/build-tools.sh on $(date -u +%FT%TZ); source me"
    echo "export PLATFORM_TOOLS_CACHE='$CACHE'"
    echo "export PATH='$path':\"\$PATH\""
    echo "export PULUMI_HOME='$CACHE/pulumi-home'"
    echo "export PULUMI_SKIP_UPDATE_CHECK=true"
    echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  } >"$envf"
  log "wrote $envf"
  echo "source '$envf'"
  echo "export PATH='$path':\"\$PATH\" PULUMI_HOME='$CACHE/pulumi-home'"
}

main() {
  local groups=("$@")
  [ ${#groups[@]} -gt 0 ] || groups=(kubernetes kwok etcd pulumi providers)
  local g
  for g in "${groups[@]}"; do
    case "$g" in
      kubernetes) run_group kubernetes "$KUBERNETES_VERSION" build_kubernetes ;;
      kwok)       run_group kwok "$KWOK_VERSION" build_kwok ;;
      etcd)       run_group etcd "$ETCD_VERSION" build_etcd ;;
      pulumi)     run_group pulumi "$PULUMI_VERSION" build_pulumi ;;
      providers)  build_providers ;;
      *) die "unknown group '$g' (kubernetes kwok etcd pulumi providers)" ;;
    esac
  done
  print_summary
  write_env
  if [ ${#FAILED[@]} -gt 0 ]; then
    die "failed groups: ${FAILED[*]}"
  fi
}

main "$@"
