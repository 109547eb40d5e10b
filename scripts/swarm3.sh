#!/usr/bin/env bash
# A three-node Docker Swarm on this one machine, and the proofs that need more than one node.
#
# Three private engines (scripts/engine.sh, each in its own folder and network namespace) are
# joined over a bridge in a fourth namespace (10.99.0.1-3/24 on each engine's `eth1`) into one
# swarm: node 1 is the manager, nodes 2 and 3 join as workers. Then, with a deadline on every
# wait, it shows:
#   1. the three nodes are Ready;
#   2. a global service in endpoint mode dnsrr on an attachable overlay runs one task per node;
#   3. from a task on node 1, `tasks.web` and `web` answer with all three tasks' addresses, and
#      each task, on each node, answers ping and HTTP (its own hostname) over the overlay;
#   4. a joined group (an owner on the overlay and a sidecar in `container:owner` mode), created
#      through node 2's engine, runs on node 2 only; its sidecar shares the owner's interfaces,
#      reaches the owner on 127.0.0.1, and reaches every task of `web` by name.
# Everything stays on this machine: the namespaces have no route out, the engines run with
# --ip-forward=false --ip-masq=false --dns 127.0.0.1. On exit (success, failure or interrupt)
# every engine is stopped with `scripts/engine.sh stop` and the bridge's namespace deleted.
#
# Needs root. Usage: scripts/swarm3.sh            (prints each step and its time; exit 0 = proven)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$(realpath -m "${CC_SWARM3_DIR:-/tmp/cc-swarm3}")"
HUB="ccsw3-$(printf '%s' "$BASE" | sha1sum | cut -c1-10)"
NODES=(1 2 3)
SUBNET_PREFIX=10.99.0
OVERLAY_SUBNET=10.98.0.0/24
DEADLINE=60
started=$(date +%s%N)

say() {
  local ms=$((($(date +%s%N) - started) / 1000000))
  printf '[%4d.%d s] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}
die() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "swarm3.sh needs root" >&2; exit 1; }

dir_of() { printf '%s/node%s' "$BASE" "$1"; }
engine() { CC_ENGINE_DIR="$(dir_of "$1")" bash "$REPO/scripts/engine.sh" "${@:2}"; }
dk() { local n="$1"; shift; DOCKER_HOST="unix://$(dir_of "$n")/docker.sock" docker "$@"; }
netns_of() { engine "$1" env | sed -n 's/^export CC_ENGINE_NETNS=//p'; }

cleanup() {
  set +e
  for n in "${NODES[@]}"; do
    if [ -d "$(dir_of "$n")" ]; then
      engine "$n" stop >/dev/null 2>&1
    fi
  done
  ip netns delete "$HUB" 2>/dev/null
  rmdir "$BASE" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# until SECONDS WHAT CMD...: run CMD until it succeeds or SECONDS pass.
until_ok() {
  local limit="$1" what="$2"
  shift 2
  local end=$(($(date +%s) + limit)) out
  while :; do
    if out="$("$@" 2>&1)"; then
      printf '%s' "$out"
      return 0
    fi
    [ "$(date +%s)" -lt "$end" ] || die "$what: still failing after ${limit} s; last: $out"
    sleep 0.5
  done
}

# -- engines and their network -------------------------------------------------------------
cleanup
mkdir -p "$BASE"
ip netns add "$HUB"
ip -n "$HUB" link set lo up
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
for n in "${NODES[@]}"; do
  engine "$n" start >/dev/null
  ns="$(basename "$(netns_of "$n")")"
  ip -n "$HUB" link add "vn$n" type veth peer name eth1 netns "$ns"
  ip -n "$HUB" link set "vn$n" master br0 up
  ip -n "$ns" addr add "$SUBNET_PREFIX.$n/24" dev eth1
  ip -n "$ns" link set eth1 up
done
say "three engines up, each in its own namespace, joined by the bridge in $HUB"

# A busybox image on every engine (nothing can be pulled here).
rootfs="$BASE/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/www"
cp /bin/busybox "$rootfs/bin/busybox"
chroot "$rootfs" /bin/busybox --install -s /bin
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
for n in "${NODES[@]}"; do
  tar -C "$rootfs" -c . | dk "$n" import -c 'CMD ["sh"]' - swarm3/busybox:1 >/dev/null
done
rm -rf "$rootfs"

# -- the swarm -----------------------------------------------------------------------------
dk 1 swarm init --advertise-addr "$SUBNET_PREFIX.1" --listen-addr "$SUBNET_PREFIX.1:2377" >/dev/null
token="$(dk 1 swarm join-token -q worker)"
for n in 2 3; do
  dk "$n" swarm join --token "$token" --advertise-addr "$SUBNET_PREFIX.$n" \
    --listen-addr "$SUBNET_PREFIX.$n:2377" "$SUBNET_PREFIX.1:2377" >/dev/null
done
ready() { [ "$(dk 1 node ls --format '{{.Status}}' | grep -c Ready)" -eq 3 ]; }
until_ok "$DEADLINE" "three Ready nodes" ready >/dev/null
say "1. swarm of three nodes, all Ready:"
dk 1 node ls --format '{{.ID}} {{.Status}} {{.ManagerStatus}}'
declare -A node_of
for n in "${NODES[@]}"; do
  node_of[$n]="$(dk "$n" info --format '{{.Swarm.NodeID}}')"
done

dk 1 network create --driver overlay --attachable --subnet "$OVERLAY_SUBNET" ov >/dev/null
dk 1 service create --detach --quiet --name web --mode global --endpoint-mode dnsrr \
  --network ov swarm3/busybox:1 \
  sh -c 'mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null 2>&1
dk 1 service create --detach --quiet --name probe --endpoint-mode dnsrr --network ov \
  --constraint "node.id==${node_of[1]}" swarm3/busybox:1 sleep 2147483647 >/dev/null 2>&1
running_on_three() {
  local nodes
  nodes="$(dk 1 service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' \
    | grep -c Running)"
  [ "$nodes" -eq 3 ] && [ "$(dk 1 service ps probe --filter desired-state=running \
    --format '{{.CurrentState}}' | grep -c Running)" -eq 1 ]
}
until_ok "$DEADLINE" "web running on every node" running_on_three >/dev/null
say "2. global service web (dnsrr) runs one task per node:"
for n in "${NODES[@]}"; do
  printf '   node %s: %s\n' "$n" "$(dk "$n" ps --filter label=com.docker.swarm.service.name=web \
    --format '{{.Names}}')"
done

# -- cross-node DNS and reach ---------------------------------------------------------------
probe="$(dk 1 ps -q --filter label=com.docker.swarm.service.name=probe)"
[ -n "$probe" ] || die "the probe task is not on node 1"
addresses() { dk 1 exec "$probe" nslookup "$1" 127.0.0.11 | awk 'NR > 2 && /^Address/ {print $2}' | sort; }
three_answers() { [ "$(addresses tasks.web | wc -l)" -eq 3 ]; }
until_ok "$DEADLINE" "tasks.web answering with three addresses" three_answers >/dev/null
tasks="$(addresses tasks.web)"
[ "$(addresses web)" = "$tasks" ] || die "web answers $(addresses web | paste -sd' '), tasks.web $tasks"
say "3. from node 1, tasks.web and web answer with every task: $(echo "$tasks" | paste -sd' ')"
hosts=""
for address in $tasks; do
  until_ok "$DEADLINE" "ping $address" dk 1 exec "$probe" ping -c 1 -W 2 "$address" >/dev/null
  page="$(until_ok "$DEADLINE" "HTTP from $address" dk 1 exec "$probe" timeout 5 wget -qO- "http://$address/")"
  node="$(for n in "${NODES[@]}"; do
    dk "$n" ps -q --no-trunc --filter label=com.docker.swarm.service.name=web \
      | grep -q "^$page" && echo "$n"; done)"
  [ -n "$node" ] || die "$address answered $page, which is no web task's hostname"
  printf '   %s answers ping and HTTP: task %s on node %s\n' "$address" "$page" "$node"
  hosts="$hosts $node"
done
if [ "$(echo "$hosts" | tr ' ' '\n' | sort -u | grep -c .)" -ne 3 ]; then
  die "the three addresses are not on three nodes:$hosts"
fi

# -- a joined group lands on one node --------------------------------------------------------
dk 2 run -d --name owner --network ov --network-alias edge swarm3/busybox:1 \
  sh -c 'mkdir -p /www && echo owner >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null 2>&1
dk 2 run -d --name sidecar --network container:owner swarm3/busybox:1 sleep 2147483647 >/dev/null 2>&1
for n in 1 3; do
  [ -z "$(dk "$n" ps -aq --filter name=owner --filter name=sidecar)" ] || die "a group member is on node $n"
done
[ "$(dk 2 inspect -f '{{.State.Running}}' owner sidecar | sort -u)" = "true" ] || die "the group does not run on node 2"
[ "$(dk 2 exec owner ip -o addr)" = "$(dk 2 exec sidecar ip -o addr)" ] || die "the sidecar has interfaces of its own"
loop="$(until_ok "$DEADLINE" "sidecar to 127.0.0.1" dk 2 exec sidecar timeout 5 wget -qO- http://127.0.0.1/)"
[ "$loop" = "owner" ] || die "127.0.0.1 from the sidecar answered $loop"
side_tasks() { dk 2 exec sidecar nslookup tasks.web 127.0.0.11 | awk 'NR > 2 && /^Address/ {print $2}' | sort; }
side_three() { [ "$(side_tasks | wc -l)" -eq 3 ]; }
until_ok "$DEADLINE" "the sidecar resolving tasks.web" side_three >/dev/null
[ "$(side_tasks)" = "$tasks" ] || die "the sidecar sees tasks.web as $(side_tasks | paste -sd' ')"
for address in $tasks; do
  until_ok "$DEADLINE" "sidecar to $address" dk 2 exec sidecar timeout 5 wget -qO- "http://$address/" >/dev/null
done
page="$(until_ok "$DEADLINE" "sidecar to web by name" dk 2 exec sidecar timeout 5 wget -qO- http://web/)"
say "4. joined group on node 2 only (owner on the attachable overlay, sidecar in its namespace):"
printf '   sidecar -> 127.0.0.1: %s; -> tasks.web: %s; -> http://web/: %s\n' \
  "$loop" "$(side_tasks | paste -sd' ')" "$page"
say "all proven; stopping the engines"
