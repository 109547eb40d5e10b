#!/usr/bin/env bash
# A private Docker engine for the engine tests: start | stop | status | env.
#
# Everything lives under one folder (default: <repo>/.engine, or $CC_ENGINE_DIR): the socket,
# data root, exec root, pid file and log. The engine gets its own default bridge (named from
# the folder, so two checkouts never share one) and runs with
#   --ip-forward=false --ip-masq=false --dns 127.0.0.1
# so no container traffic leaves this machine. `stop` removes what `start` made and nothing
# else: containers, networks, the engine and its containerd, its bridges, the iptables chains
# it added (chains that existed before the start are left in place), mounts and the folder.
#
# Needs root. Installs Debian's docker.io and busybox-static when they are missing.
#   eval "$(scripts/engine.sh start)"   # prints `export DOCKER_HOST=unix://...`
#   scripts/engine.sh stop
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CC_ENGINE_DIR:-$REPO/.engine}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/docker.pid"
LOG="$DIR/dockerd.log"
STATE="$DIR/state"
# A bridge name of at most 15 characters, stable for one folder.
TAG="$(printf '%s' "$DIR" | sha1sum | cut -c1-6)"
BRIDGE="ccbr-$TAG"

say() { printf 'engine.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

docker_cli() { DOCKER_HOST="unix://$SOCK" docker "$@"; }

ping_engine() {
  [ -S "$SOCK" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = "OK" ]
  else
    docker_cli version --format '{{.Server.Version}}' >/dev/null 2>&1
  fi
}

engine_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

install_missing() {
  local wanted=()
  command -v dockerd >/dev/null 2>&1 || wanted+=(docker.io)
  command -v iptables >/dev/null 2>&1 || wanted+=(iptables)
  if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
    wanted+=(busybox-static)
  fi
  [ "${#wanted[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${wanted[*]} and no apt-get to install them"
  say "installing ${wanted[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${wanted[@]}" >&2
}

# The free /24 for the default bridge: 10.213.<n>.0/24, n from the folder's hash, skipping any
# subnet a route on this machine already covers.
pick_bridge_cidr() {
  local n=$(( 0x${TAG:0:2} ))
  local tries=0
  while [ "$tries" -lt 256 ]; do
    if ! ip -4 route show | awk '{print $1}' | grep -q "^10\.213\.$n\."; then
      printf '10.213.%s.1/24\n' "$n"
      return 0
    fi
    n=$(( (n + 1) % 256 )); tries=$(( tries + 1 ))
  done
  die "no free 10.213.x.0/24 subnet for the engine's bridge"
}

docker_chains() {  # "<table> <chain>" for every DOCKER* chain that exists now
  local table
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | awk -v t="$table" '$1=="-N" && $2 ~ /^DOCKER/ {print t, $2}'
  done
}

start() {
  [ "$(id -u)" -eq 0 ] || die "starting a private dockerd needs root"
  if engine_pid >/dev/null && ping_engine; then
    say "already running ($SOCK)"
    env_lines
    return 0
  fi
  if [ -d "$DIR" ]; then
    say "cleaning up a previous engine left in $DIR"
    stop >/dev/null
  fi
  install_missing
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found after install"
  mkdir -p "$DIR/data" "$DIR/exec"
  : >"$STATE"
  docker_chains >"$DIR/chains.before"

  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    local cidr
    cidr="$(pick_bridge_cidr)"
    ip link add name "$BRIDGE" type bridge
    echo "bridge $BRIDGE" >>"$STATE"
    ip addr add "$cidr" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi

  setsid dockerd \
    --host "unix://$SOCK" \
    --data-root "$DIR/data" \
    --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" \
    --bridge "$BRIDGE" \
    --ip-forward=false --ip-masq=false --dns 127.0.0.1 \
    --userland-proxy=true \
    </dev/null >"$LOG" 2>&1 &
  echo "dockerd $!" >>"$STATE"

  local i
  for i in $(seq 1 100); do
    if ping_engine; then
      env_lines
      return 0
    fi
    if ! kill -0 "$(awk '$1=="dockerd"{print $2}' "$STATE")" 2>/dev/null; then
      tail -n 20 "$LOG" >&2 || true
      die "dockerd exited during start (log above, from $LOG)"
    fi
    sleep 0.2
  done
  tail -n 20 "$LOG" >&2 || true
  die "dockerd did not answer GET /_ping on $SOCK within 20 s"
}

env_lines() {
  printf 'export DOCKER_HOST=unix://%s\n' "$SOCK"
}

remove_engine_objects() {
  # Containers, then every network that is not predefined; remember the bridges they used.
  local ids net
  ids="$(docker_cli ps -aq 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker_cli rm -f $ids >/dev/null 2>&1 || true
  fi
  docker_cli swarm leave --force >/dev/null 2>&1 || true
  for net in $(docker_cli network ls -q --filter type=custom 2>/dev/null || true); do
    echo "bridge br-${net:0:12}" >>"$STATE"
    docker_cli network rm "$net" >/dev/null 2>&1 || true
  done
}

stop_processes() {
  local pid i
  pid="$(engine_pid || true)"
  [ -z "$pid" ] && pid="$(awk '$1=="dockerd"{print $2}' "$STATE" 2>/dev/null | tail -n 1)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  # The engine's own containerd and shims: processes whose command line names this folder.
  local proc cmd
  for proc in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null || true)"
    case "$cmd" in
      *"$DIR/"*) kill -TERM "${proc#/proc/}" 2>/dev/null || true ;;
    esac
  done
  sleep 0.5
  for proc in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null || true)"
    case "$cmd" in
      *"$DIR/"*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
    esac
  done
}

unmount_all() {
  local mnt
  # Deepest first.
  awk -v d="$DIR" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
}

remove_bridges() {
  local br
  awk '$1=="bridge"{print $2}' "$STATE" 2>/dev/null | sort -u | while read -r br; do
    if ip link show "$br" >/dev/null 2>&1; then
      ip link delete "$br" type bridge 2>/dev/null || ip link delete "$br" 2>/dev/null || true
    fi
  done
}

remove_chains() {
  command -v iptables >/dev/null 2>&1 || return 0
  local before="$DIR/chains.before" table chain rule
  [ -f "$before" ] || return 0
  # Rules naming one of our bridges, wherever they are (also in chains that existed before).
  local bridges
  bridges="$(awk '$1=="bridge"{print $2}' "$STATE" 2>/dev/null | sort -u | paste -sd'|' -)"
  for table in filter nat; do
    if [ -n "$bridges" ]; then
      { iptables -t "$table" -S 2>/dev/null | grep -E -- "-A .*(${bridges})( |$)" || true; } \
        | while read -r rule; do
          # shellcheck disable=SC2086
          iptables -t "$table" ${rule/-A /-D } 2>/dev/null || true
        done
    fi
  done
  # Chains this engine created: drop the jumps to them, flush, delete.
  docker_chains | while read -r table chain; do
    if grep -qx "$table $chain" "$before"; then continue; fi
    { iptables -t "$table" -S 2>/dev/null | grep -E -- "-j ${chain}( |$)" || true; } \
      | while read -r rule; do
      # shellcheck disable=SC2086
      iptables -t "$table" ${rule/-A /-D } 2>/dev/null || true
    done
  done
  docker_chains | while read -r table chain; do
    if grep -qx "$table $chain" "$before"; then continue; fi
    iptables -t "$table" -F "$chain" 2>/dev/null || true
  done
  docker_chains | while read -r table chain; do
    if grep -qx "$table $chain" "$before"; then continue; fi
    iptables -t "$table" -X "$chain" 2>/dev/null || true
  done
}

stop() {
  [ "$(id -u)" -eq 0 ] || die "stopping the private dockerd needs root"
  [ -d "$DIR" ] || { say "no engine in $DIR"; return 0; }
  [ -f "$STATE" ] || : >"$STATE"
  if ping_engine; then
    remove_engine_objects
  fi
  stop_processes
  unmount_all
  remove_bridges
  remove_chains
  rm -rf "$DIR"
  say "stopped; removed $DIR, its bridges and iptables chains"
}

status() {
  if engine_pid >/dev/null && ping_engine; then
    echo "running: DOCKER_HOST=unix://$SOCK (pid $(engine_pid))"
  else
    echo "stopped"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
