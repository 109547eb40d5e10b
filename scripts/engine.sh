#!/usr/bin/env bash
# A private Docker engine for the engine tests: start | stop | status | env.
#
# Everything lives under one folder (default: <repo>/.engine, or $CC_ENGINE_DIR): the socket,
# data root, exec root, pid file and log. The engine runs in a network namespace of its own,
# named from the folder (`ccns-<hash>`, so two checkouts never share one): its bridges,
# iptables chains, NAT rules and published ports live there and never touch the host's or
# another engine's. Its unix socket is a file, reachable from the host; a port it publishes on
# 127.0.0.1 answers inside the namespace only (`nsenter --net=/var/run/netns/<name> CMD`).
# It runs with
#   --ip-forward=false --ip-masq=false --dns 127.0.0.1
# so no container traffic leaves this machine. `stop` removes what `start` made and nothing
# else: containers, networks, the engine, its containerd and shims, the processes of its
# containers, its mounts, the namespace and the folder. A namespace or engine left by a killed
# run is cleaned by the next `start` or `stop`.
#
# Needs root. Installs Debian's docker.io and busybox-static when they are missing.
#   eval "$(scripts/engine.sh start)"   # prints `export DOCKER_HOST=unix://...` and
#                                       # `export CC_ENGINE_NETNS=/var/run/netns/<name>`
#   scripts/engine.sh stop
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$(realpath -m "${CC_ENGINE_DIR:-$REPO/.engine}")"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/docker.pid"
LOG="$DIR/dockerd.log"
# A namespace name stable for one folder.
TAG="$(printf '%s' "$DIR" | sha1sum | cut -c1-10)"
NETNS="ccns-$TAG"
NETNS_PATH="/var/run/netns/$NETNS"
# The default bridge's address inside the namespace: deliberately not 172.17.0.0/16.
BIP="10.213.0.1/24"

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

# Whether pid $1 is this folder's dockerd (a pid file may outlive its process).
is_our_dockerd() {
  local cmd
  cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true)"
  case "$cmd" in
    dockerd\ *"--data-root $DIR/data "*) return 0 ;;
  esac
  return 1
}

engine_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && is_our_dockerd "$pid" && printf '%s\n' "$pid"
}

netns_exists() { [ -e "$NETNS_PATH" ] || ip netns list 2>/dev/null | grep -qw -- "$NETNS"; }

install_missing() {
  local wanted=()
  command -v dockerd >/dev/null 2>&1 || wanted+=(docker.io)
  command -v iptables >/dev/null 2>&1 || wanted+=(iptables)
  command -v ip >/dev/null 2>&1 || wanted+=(iproute2)
  command -v nsenter >/dev/null 2>&1 || wanted+=(util-linux)
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

start() {
  [ "$(id -u)" -eq 0 ] || die "starting a private dockerd needs root"
  if engine_pid >/dev/null && netns_exists && ping_engine; then
    say "already running ($SOCK)"
    env_lines
    return 0
  fi
  if [ -d "$DIR" ] || netns_exists; then
    say "cleaning up a previous engine left in $DIR (namespace $NETNS)"
    stop >/dev/null
  fi
  install_missing
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found after install"
  mkdir -p "$DIR/data" "$DIR/exec"

  ip netns add "$NETNS" || die "cannot create the network namespace $NETNS"
  ip -n "$NETNS" link set lo up

  # nsenter, not `ip netns exec`: the latter remounts /sys for the command, and dockerd then
  # stops with "Devices cgroup isn't mounted".
  setsid nsenter --net="$NETNS_PATH" dockerd \
    --host "unix://$SOCK" \
    --data-root "$DIR/data" \
    --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" \
    --bip "$BIP" \
    --ip-forward=false --ip-masq=false --dns 127.0.0.1 \
    --userland-proxy=true \
    </dev/null >"$LOG" 2>&1 &
  local pid=$!
  echo "$pid" >"$DIR/dockerd.started"

  for _ in $(seq 1 100); do
    if ping_engine; then
      env_lines
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
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
  printf 'export CC_ENGINE_NETNS=%s\n' "$NETNS_PATH"
}

remove_engine_objects() {
  # Containers, then every network that is not predefined (all of it inside the namespace).
  local ids net
  ids="$(docker_cli ps -aq 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker_cli rm -f $ids >/dev/null 2>&1 || true
  fi
  docker_cli swarm leave --force >/dev/null 2>&1 || true
  for net in $(docker_cli network ls -q --filter type=custom 2>/dev/null || true); do
    docker_cli network rm "$net" >/dev/null 2>&1 || true
  done
}

# Every process this engine made, one pid a line: processes in its namespace (dockerd,
# containerd, shims, docker-proxy), the engine's programs whose command line names the folder,
# and the processes of its containers (their cgroup names a container id of this data root).
engine_processes() {
  if netns_exists; then
    ip netns pids "$NETNS" 2>/dev/null || true
  fi
  local ids="" file pid cmd prog
  # One grep over all command lines, then keep the engine's own programs.
  for file in $(grep -laF -- "$DIR/" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid="${file#/proc/}"
    pid="${pid%/cmdline}"
    cmd="$(tr '\0' ' ' 2>/dev/null <"$file" || true)"
    prog="${cmd%% *}"
    case "${prog##*/}" in
      dockerd | containerd | containerd-shim* | docker-proxy | runc) printf '%s\n' "$pid" ;;
    esac
  done
  if [ -d "$DIR/data/containers" ]; then
    ids="$(find "$DIR/data/containers" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' \
      | grep -E '^[0-9a-f]{64}$' | paste -sd'|' - || true)"
  fi
  if [ -n "$ids" ]; then
    for file in $(grep -lE -- "/($ids)(/|$)" /proc/[0-9]*/cgroup 2>/dev/null || true); do
      pid="${file#/proc/}"
      printf '%s\n' "${pid%/cgroup}"
    done
  fi
}

signal_all() {  # signal_all SIGNAL: every engine process but this script
  local pid
  engine_processes | sort -un | while read -r pid; do
    [ "$pid" = "$$" ] && continue
    kill "-$1" "$pid" 2>/dev/null || true
  done
}

stop_processes() {
  local pid
  pid="$(engine_pid || cat "$DIR/dockerd.started" 2>/dev/null || true)"
  if [ -n "$pid" ] && is_our_dockerd "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      is_our_dockerd "$pid" || break
      sleep 0.2
    done
  fi
  signal_all TERM
  for _ in $(seq 1 10); do
    [ -z "$(engine_processes)" ] && return 0
    sleep 0.2
  done
  signal_all KILL
  for _ in $(seq 1 25); do
    [ -z "$(engine_processes)" ] && return 0
    sleep 0.2
  done
  say "processes still alive after SIGKILL: $(engine_processes | sort -un | paste -sd' ' -)"
}

unmount_all() {
  local mnt
  # Deepest first.
  awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
}

remove_cgroups() {
  # The (now empty) cgroups of this engine's containers.
  [ -d "$DIR/data/containers" ] || return 0
  local id
  find "$DIR/data/containers" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | while read -r id; do
    find /sys/fs/cgroup -maxdepth 4 -depth -type d -name "$id" -exec rmdir {} \; 2>/dev/null || true
  done
}

stop() {
  [ "$(id -u)" -eq 0 ] || die "stopping the private dockerd needs root"
  if [ ! -d "$DIR" ] && ! netns_exists; then
    say "no engine in $DIR"
    return 0
  fi
  if ping_engine; then
    remove_engine_objects
  fi
  stop_processes
  unmount_all
  remove_cgroups
  if netns_exists; then
    ip netns delete "$NETNS" 2>/dev/null || true
  fi
  rm -rf "$DIR"
  netns_exists && die "the network namespace $NETNS is still there"
  say "stopped; removed $DIR and the network namespace $NETNS"
}

status() {
  if engine_pid >/dev/null && netns_exists && ping_engine; then
    echo "running: DOCKER_HOST=unix://$SOCK (pid $(engine_pid), network namespace $NETNS)"
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
