#!/usr/bin/env bash
# Local throw-away Kubernetes control plane for integration tests, loopback only:
#   etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok (fake nodes, fake pods).
#
# Usage: cluster.sh start|stop|status|env
#   start   generate CA/serving/client certs + service-account key (openssl), start everything,
#           wait for /readyz, create $KWOK_NODES fake nodes, write $STATE_DIR/kubeconfig
#   stop    kill the processes this script started (pid files) and delete $STATE_DIR
#   status  show process state and /readyz
#   env     print `export KUBECONFIG=...`
#
# Env: CLUSTER_STATE_DIR (default /tmp/platform-cluster), PLATFORM_TOOLS_CACHE (binaries built by
#      build-tools.sh), APISERVER_PORT (6443), ETCD_PORT (2379; peer port = ETCD_PORT+1),
#      KWOK_NODES (2), START_TIMEOUT seconds (60).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE="${PLATFORM_TOOLS_CACHE:-$HOME/.cache/platform-tools}"
STATE_DIR="${CLUSTER_STATE_DIR:-/tmp/platform-cluster}"
APISERVER_PORT="${APISERVER_PORT:-6443}"
ETCD_PORT="${ETCD_PORT:-2379}"
KWOK_NODES="${KWOK_NODES:-2}"
START_TIMEOUT="${START_TIMEOUT:-60}"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1"
API="https://127.0.0.1:$APISERVER_PORT"
PKI="$STATE_DIR/pki"
LOGS="$STATE_DIR/logs"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# bin <name>: prefer the version-pinned cache build, fall back to PATH
bin() {
  local c
  for c in "$CACHE/kubernetes-$KUBERNETES_VERSION/bin/$1" "$CACHE/kwok-$KWOK_VERSION/bin/$1" "$CACHE/etcd-$ETCD_VERSION/bin/$1"; do
    [ -x "$c" ] && { echo "$c"; return; }
  done
  command -v "$1" || die "$1 not found: run $HERE/build-tools.sh first"
}

pid_of() { [ -f "$STATE_DIR/$1.pid" ] && cat "$STATE_DIR/$1.pid" || true; }
# running <pid>: exists and is not a zombie (in containers whose PID 1 does not reap, exited children
# stay <defunct> and `kill -0` still succeeds)
running() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$1/stat" 2>/dev/null; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && running "$p"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# launch <name> <binary> args... : background, own session, log + pid file
launch() {
  local name="$1"; shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/$name.pid"
}

curl_api() { curl -sS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }

gen_pki() {
  mkdir -p "$PKI"; cd "$PKI"
  local ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  # CA
  openssl req -x509 $ec -keyout ca.key -out ca.crt -days 7 -subj "/CN=platform-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # sign <name> <subject> <extensions>
  sign() {
    openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 -out "$1.crt" -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  sign apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
    "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")"
  sign admin "/O=system:masters/CN=platform-admin" "$(printf '%s\n' \
    "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth")"
  # service-account token signing key (ES256)
  openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
  openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
  # static admin token as an alternative to the client cert
  local tok; tok="$(openssl rand -hex 24)"
  echo "$tok" >admin.token
  echo "$tok,platform-admin,platform-admin,system:masters" >tokens.csv
  chmod 600 ./*.key admin.token tokens.csv
  cd - >/dev/null
}

write_kubeconfig() {
  cat >"$STATE_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: platform-test
  cluster:
    server: $API
    certificate-authority: $PKI/ca.crt
users:
- name: platform-admin
  user:
    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key
contexts:
- name: platform-test
  context: {cluster: platform-test, user: platform-admin}
current-context: platform-test
EOF
  chmod 600 "$STATE_DIR/kubeconfig"
}

wait_for() { # wait_for <what> <timeout-seconds> <command...>
  local what="$1" t="$2"; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    for c in "${COMPONENTS[@]}"; do
      if [ -f "$STATE_DIR/$c.pid" ] && ! alive "$c"; then
        log "$c exited while waiting for $what; last log lines:"; tail -n 20 "$LOGS/$c.log" >&2; return 1
      fi
    done
    sleep 0.2
  done
}

fake_node_json() {
  cat <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$1",
 "annotations":{"node.alpha.kubernetes.io/ttl":"0","kwok.x-k8s.io/node":"fake"},
 "labels":{"type":"kwok","kubernetes.io/hostname":"$1","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","node-role.kubernetes.io/worker":""}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"500Gi"},
  "capacity":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"500Gi"}}}
EOF
}

start() {
  if alive kube-apiserver; then log "already running (state: $STATE_DIR)"; status; return 0; fi
  command -v openssl >/dev/null || die "openssl is required"
  command -v curl >/dev/null || die "curl is required"
  local ETCD KAPI KCM KSCHED KWOK
  ETCD="$(bin etcd)"; KAPI="$(bin kube-apiserver)"; KCM="$(bin kube-controller-manager)"
  KSCHED="$(bin kube-scheduler)"; KWOK="$(bin kwok)"
  for p in "$APISERVER_PORT" "$ETCD_PORT" $((ETCD_PORT + 1)); do
    if port_busy "$p"; then die "port $p on 127.0.0.1 is already in use"; fi
  done
  local t0=$SECONDS t0ns; t0ns=$(date +%s%N)
  rm -rf "$STATE_DIR"; mkdir -p "$STATE_DIR" "$LOGS"
  gen_pki
  write_kubeconfig

  launch etcd "$ETCD" --name platform-test --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "platform-test=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --listen-metrics-urls "" --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  wait_for "etcd" 20 curl -sf "http://127.0.0.1:$ETCD_PORT/health" || die "etcd did not become healthy (log: $LOGS/etcd.log)"

  launch kube-apiserver "$KAPI" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --token-auth-file "$PKI/tokens.csv" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --api-audiences https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --cert-dir "$STATE_DIR/apiserver-certs" --profiling="${APISERVER_PROFILING:-false}" --v=1
  wait_for "kube-apiserver /readyz" "$START_TIMEOUT" curl_api -f "$API/readyz" ||
    { tail -n 30 "$LOGS/kube-apiserver.log" >&2; die "kube-apiserver did not become ready"; }
  local t_api=$((SECONDS - t0))

  # Client limits that throttle neither the operator's runs nor the benchmark's baseline
  # (bench/operator): at the defaults (controller-manager 20 QPS / burst 30, 5 StatefulSet
  # workers; scheduler 50 / 100) the controller-manager's own rate limiter set the pace, so
  # 100 fleets took 34.6 s to be steady whatever the operator did, and only 25.3 s with these.
  # The API server itself does not throttle here: every component authenticates as
  # system:masters, which API Priority and Fairness exempts from --max-requests-inflight;
  # kwok's client has no rate limiter.
  local client_limits=(--kube-api-qps 400 --kube-api-burst 800)
  launch kube-controller-manager "$KCM" --kubeconfig "$STATE_DIR/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --use-service-account-credentials=false \
    --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route' \
    "${client_limits[@]}" --concurrent-statefulset-syncs 50 --v=1
  launch kube-scheduler "$KSCHED" --kubeconfig "$STATE_DIR/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false "${client_limits[@]}" --v=1
  local stages="$CACHE/kwok-$KWOK_VERSION/share/stages.yaml"
  [ -f "$stages" ] || stages="$(dirname "$KWOK")/../share/stages.yaml"
  [ -f "$stages" ] || die "kwok stage config not found (build-tools.sh kwok writes $CACHE/kwok-$KWOK_VERSION/share/stages.yaml)"
  launch kwok "$KWOK" --kubeconfig "$STATE_DIR/kubeconfig" -c "$stages" --node-lease-duration-seconds 40 \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.244.0.0/16 --node-ip 10.0.0.1

  local i
  for ((i = 0; i < KWOK_NODES; i++)); do
    fake_node_json "kwok-node-$i" | curl_api -f -X POST -H 'Content-Type: application/json' \
      --data-binary @- "$API/api/v1/nodes" >/dev/null || die "could not create fake node kwok-node-$i"
  done
  node_ready() {
    local n
    n="$(curl_api -f "$API/api/v1/nodes" | tr -d ' \n' | grep -o '"type":"Ready","status":"True"' | wc -l)"
    [ "$n" -ge "$KWOK_NODES" ]
  }
  wait_for "kwok nodes Ready" "$START_TIMEOUT" node_ready || die "fake nodes did not become Ready (log: $LOGS/kwok.log)"
  # pods can only be created once the serviceaccount controller made the 'default' SA
  wait_for "default service account" "$START_TIMEOUT" \
    curl_api -f "$API/api/v1/namespaces/default/serviceaccounts/default" || die "default service account missing (log: $LOGS/kube-controller-manager.log)"

  local ms=$((($(date +%s%N) - t0ns) / 1000000))
  echo "$ms" >"$STATE_DIR/start-ms"
  log "ready in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s (apiserver /readyz after ${t_api}s); $KWOK_NODES kwok nodes Ready"
  log "KUBECONFIG=$STATE_DIR/kubeconfig   (admin token: $PKI/admin.token)"
  echo "export KUBECONFIG=$STATE_DIR/kubeconfig"
}

# term_wait <seconds> <component...>: SIGTERM, wait up to <seconds>, then SIGKILL (state is thrown away
# anyway, so a slow graceful shutdown is not worth waiting for)
term_wait() {
  local t="$1" c p i; shift
  for c in "$@"; do p="$(pid_of "$c")"; [ -n "$p" ] && running "$p" && kill -TERM "$p" 2>/dev/null || true; done
  for c in "$@"; do
    p="$(pid_of "$c")"; [ -n "$p" ] || continue
    for ((i = 0; i < t * 10; i++)); do running "$p" || break; sleep 0.1; done
    if running "$p"; then kill -KILL "$p" 2>/dev/null || true; sleep 0.1; fi
  done
}

stop() {
  local p
  # clients first, then the apiserver (it still needs etcd while shutting down), then etcd
  term_wait 3 kwok kube-scheduler kube-controller-manager
  term_wait 3 kube-apiserver
  term_wait 3 etcd
  # wait (bounded) until the listening sockets are gone so an immediate `start` does not collide
  for p in "$APISERVER_PORT" "$ETCD_PORT" $((ETCD_PORT + 1)); do
    for _ in $(seq 1 50); do port_busy "$p" || break; sleep 0.1; done
  done
  if [ -d "$STATE_DIR" ]; then
    case "$STATE_DIR" in /|"$HOME"|/tmp) die "refusing to delete $STATE_DIR" ;; esac
    rm -rf "$STATE_DIR"
  fi
  log "stopped"
}

status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then printf '  %-24s running (pid %s)\n' "$c" "$(pid_of "$c")"
    else printf '  %-24s stopped\n' "$c"; rc=1; fi
  done
  if [ -f "$PKI/admin.crt" ] && curl_api -f "$API/readyz" >/dev/null 2>&1; then
    echo "  readyz                   ok ($API)"
  else
    echo "  readyz                   not ready"; rc=1
  fi
  [ -f "$STATE_DIR/kubeconfig" ] && echo "  kubeconfig               $STATE_DIR/kubeconfig"
  return $rc
}

main() {
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export KUBECONFIG=$STATE_DIR/kubeconfig" ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
  esac
}
main "$@"; exit
