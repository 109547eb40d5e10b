#!/usr/bin/env bash
# A three-node Docker Swarm on this one machine: up | down | env.
#
# Three private engines (scripts/engine.sh, each in its own folder and network namespace) are
# joined over a bridge in a fourth namespace (10.99.0.1-3/24 on each engine's `eth1`) into one
# swarm: node 1 is the manager, nodes 2 and 3 join as workers. Everything lives under one folder
# (default: <repo>/.swarm3, or $CC_SWARM3_DIR): node N's engine in `nodeN/`, and the bridge's
# namespace is named from the folder (`ccsw3-<hash>`; each engine's namespace is named from its
# own folder by engine.sh), so two checkouts never share anything.
#
#   up    makes the swarm and waits, with a deadline, until the three nodes are Ready; prints
#         `export CC_SWARM3_MANAGER=unix://...` (node 1's socket: deploy through it) and
#         `export CC_SWARM3_NODE1..3=unix://...` (each node's own engine). What a failed or
#         interrupted `up` made is removed before it exits; a swarm left by a killed run is
#         removed by the next `up` or `down`.
#   down  stops the three engines (`engine.sh stop`: containers, networks, swarm state,
#         processes, mounts, namespaces, folders) and deletes the bridge's namespace and the
#         folder.
#   env   prints the export lines of `up` without starting anything.
#
# Everything stays on this machine: the namespaces have no route out, the engines run with
# --ip-forward=false --ip-masq=false --dns 127.0.0.1. Nothing is deployed here: what runs on
# the swarm is the caller's (tests/engine/test_engine_swarm3.py deploys the `swarm` stack's
# plan). Needs root.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$(realpath -m "${CC_SWARM3_DIR:-$REPO/.swarm3}")"
HUB="ccsw3-$(printf '%s' "$BASE" | sha1sum | cut -c1-10)"
NODES=(1 2 3)
SUBNET_PREFIX=10.99.0
DEADLINE=60
started=$(date +%s%N)

say() {
  local ms=$((($(date +%s%N) - started) / 1000000))
  printf 'swarm3.sh [%4d.%d s] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
die() { say "FAILED: $*"; exit 1; }

dir_of() { printf '%s/node%s' "$BASE" "$1"; }
sock_of() { printf 'unix://%s/docker.sock' "$(dir_of "$1")"; }
engine() { CC_ENGINE_DIR="$(dir_of "$1")" bash "$REPO/scripts/engine.sh" "${@:2}"; }
# Every docker call is bounded: a wedged engine fails the step instead of hanging it.
dk() { local n="$1"; shift; DOCKER_HOST="$(sock_of "$n")" timeout "$DEADLINE" docker "$@"; }
netns_of() { engine "$1" env | sed -n 's/^export CC_ENGINE_NETNS=//p'; }

env_lines() {
  printf 'export CC_SWARM3_MANAGER=%s\n' "$(sock_of 1)"
  for n in "${NODES[@]}"; do
    printf 'export CC_SWARM3_NODE%s=%s\n' "$n" "$(sock_of "$n")"
  done
}

# Remove all of it; each engine is stopped in parallel (their folders and namespaces are
# disjoint), whether or not its folder is still there.
teardown() {
  local pids=() n failed=0
  for n in "${NODES[@]}"; do
    engine "$n" stop >/dev/null 2>&1 &
    pids+=($!)
  done
  for n in "${!pids[@]}"; do
    wait "${pids[$n]}" || failed=1
  done
  if ip netns list 2>/dev/null | grep -qw -- "$HUB"; then
    ip netns delete "$HUB" || failed=1
  fi
  rm -rf "$BASE"
  return "$failed"
}

# until_ok SECONDS WHAT CMD...: run CMD until it succeeds or SECONDS pass.
until_ok() {
  local limit="$1" what="$2"
  shift 2
  local end=$(($(date +%s) + limit)) out
  while :; do
    if out="$("$@" 2>&1)"; then
      return 0
    fi
    [ "$(date +%s)" -lt "$end" ] || die "$what: still failing after ${limit} s; last: $out"
    sleep 0.5
  done
}

up() {
  teardown || die "could not remove the swarm a previous run left in $BASE"
  MADE=0
  # shellcheck disable=SC2317  # run by the trap
  on_exit() { [ "$MADE" -eq 1 ] || { say "removing what this run made"; teardown || true; }; }
  trap on_exit EXIT
  trap 'exit 130' INT TERM

  mkdir -p "$BASE"
  ip netns add "$HUB"
  ip -n "$HUB" link set lo up
  ip -n "$HUB" link add br0 type bridge
  ip -n "$HUB" link set br0 up
  local n ns
  for n in "${NODES[@]}"; do
    # A task runs the image its node has: no engine tries a registry first (nothing can be
    # pulled here, and nothing may leave this machine).
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 engine "$n" start >/dev/null
    ns="$(basename "$(netns_of "$n")")"
    ip -n "$HUB" link add "vn$n" type veth peer name eth1 netns "$ns"
    ip -n "$HUB" link set "vn$n" master br0 up
    ip -n "$ns" addr add "$SUBNET_PREFIX.$n/24" dev eth1
    ip -n "$ns" link set eth1 up
  done
  say "three engines up, each in its own namespace, joined by the bridge in $HUB"

  dk 1 swarm init --advertise-addr "$SUBNET_PREFIX.1" --listen-addr "$SUBNET_PREFIX.1:2377" >/dev/null
  local token
  token="$(dk 1 swarm join-token -q worker)"
  for n in "${NODES[@]:1}"; do
    dk "$n" swarm join --token "$token" --advertise-addr "$SUBNET_PREFIX.$n" \
      --listen-addr "$SUBNET_PREFIX.$n:2377" "$SUBNET_PREFIX.1:2377" >/dev/null
  done
  ready() { [ "$(dk 1 node ls --format '{{.Status}}' | grep -c '^Ready$')" -eq "${#NODES[@]}" ]; }
  until_ok "$DEADLINE" "three Ready nodes" ready
  say "swarm of three nodes, all Ready; deploy through node 1: $(sock_of 1)"
  MADE=1
  env_lines
}

down() {
  teardown || die "could not remove everything under $BASE (namespace $HUB)"
  say "stopped the three engines; removed $BASE and the namespace $HUB"
}

[ "$(id -u)" -eq 0 ] || [ "${1:-}" = env ] || { echo "swarm3.sh needs root" >&2; exit 1; }
case "${1:-}" in
  up) up ;;
  down) down ;;
  env) env_lines ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
