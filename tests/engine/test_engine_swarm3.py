"""Proof 9: the `swarm` stack, as the program plans it, deployed on a three-node swarm.

`scripts/swarm3.sh up` makes the swarm on this machine (three private engines in network
namespaces of their own, joined over a bridge in a fourth; node 1 the manager) and `down`
removes all of it. Stand-ins for the stack's images are built on every node (a task runs the
image its node has; nothing can be pulled). The program records its plan for
`stacks/Pulumi.swarm.yaml` as `pulumi up` would plan it, and `tests/engine/realize.py` creates
that plan through the manager, as the provider would with `DOCKER_HOST` at the manager. Then,
on the running swarm, what the stack's comments say:

- tasks are placed as each service's `deploy` says: as many as its replicas, only on nodes that
  meet its constraints (`api`'s three on the manager), spread over those nodes (`web`'s two on
  two nodes);
- services resolve each other by name on the overlays, across nodes: a `dnsrr` name (and its
  aliases) answers with every task's address, `tasks.<service>` with every task, the `vip`
  service `api` with one address, its virtual IP; every task, on every node, answers ping and
  HTTP over the overlay;
- the joined group `edge`, plain containers created through the manager, runs on that one node:
  its sidecar shares the owner's interfaces and loopback, and reaches the services (tasks on the
  other nodes) by name; the services reach the group by its alias;
- the swarm secret reaches the task's file on whichever node the task runs.

This kernel has no IPVS (`/proc/net/ip_vs` is absent), so the virtual IP resolves but carries
no traffic (see the one-node proof); reach is shown to each task's own address.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from plan import Plan, Registration
from tests.engine.conftest import engine_exports, stack_plan
from tests.engine.images import IT_WORKS, Standin, build_standins, plan_standins
from tests.engine.probes import eventually, network, sh, sh_until, urn
from tests.engine.realize import CONTAINER, REMOTE_IMAGE, SERVICE, Realization

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "swarm3.sh"
FOLDER = REPO / ".swarm3"
"""The swarm's folder: the script's default, one per checkout."""
HUB = "ccsw3-" + hashlib.sha1(str(FOLDER).encode()).hexdigest()[:10]
"""The bridge's namespace, named from the folder as the script names it."""
SCRIPT_TIMEOUT_S = 300
SWARM_NETWORKS = {"bridge", "host", "none", "ingress", "docker_gwbridge"}
"""The networks a node of a swarm has before anything is deployed."""
SECRET_TEXT = (REPO / "stacks/secrets/swarm-db-password.txt").read_text(encoding="utf-8")


# -- the swarm -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    number: int
    """N of `CC_SWARM3_NODEN` (1 is the manager)."""
    id: str
    """The node's id in the swarm."""
    role: str
    hostname: str
    client: docker.DockerClient
    """A client of this node's own engine."""


@dataclass(frozen=True)
class Swarm:
    manager: docker.DockerClient
    nodes: dict[str, Node]
    """By node id."""
    standins: dict[str, Standin]
    """By image tag: the stand-ins built on every node."""


def _script(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), mode], env={**os.environ, "CC_SWARM3_DIR": str(FOLDER)},
        capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S, check=False,
    )  # fmt: skip


def _images(plan: Plan) -> set[str]:
    """Every image the plan runs: its services' and its plain containers'."""
    images = {str(r.inputs["taskSpec"]["containerSpec"]["image"]) for r in plan.of_type(SERVICE)}
    images |= {str(r.inputs["name"]) for r in plan.of_type(REMOTE_IMAGE)}
    images |= {str(r.inputs["image"]) for r in plan.of_type(CONTAINER)}
    return images


def _namespaces() -> str:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return listed.stdout


@pytest.fixture(scope="module")
def swarm(engine: docker.DockerClient) -> Iterator[Swarm]:
    """The three-node swarm, with stand-ins for the stack's images on every node; removed whole
    (and checked gone) after the module."""
    del engine  # the session's engine fixture decides whether engines can run here
    plan = stack_plan("swarm")
    clients: list[docker.DockerClient] = []
    try:
        made = _script("up")
        assert made.returncode == 0, f"swarm3.sh up failed:\n{made.stderr[-3000:]}"
        sockets = engine_exports(made.stdout)
        manager = docker.DockerClient(base_url=sockets["CC_SWARM3_MANAGER"], timeout=60)
        clients.append(manager)
        roles = {n["ID"]: n for n in manager.api.nodes()}
        nodes: dict[str, Node] = {}
        for number in (1, 2, 3):
            client = docker.DockerClient(base_url=sockets[f"CC_SWARM3_NODE{number}"], timeout=60)
            clients.append(client)
            ident = client.info()["Swarm"]["NodeID"]
            spec = roles[ident]
            nodes[ident] = Node(
                number, ident, spec["Spec"]["Role"], spec["Description"]["Hostname"], client
            )
        assert [n.role for n in sorted(nodes.values(), key=lambda n: n.number)] == [
            "manager", "worker", "worker",
        ]  # fmt: skip
        wanted = plan_standins(_images(plan), {})
        for node in nodes.values():
            build_standins(node.client, wanted)
        yield Swarm(manager, nodes, {s.tag: s for s in wanted})
    finally:
        for client in clients:
            client.close()
        gone = _script("down")
        assert gone.returncode == 0, f"swarm3.sh down failed:\n{gone.stderr[-3000:]}"
        assert not FOLDER.exists(), f"swarm3.sh down left {FOLDER}"
        assert HUB not in _namespaces(), _namespaces()


@dataclass(frozen=True)
class Deployed:
    plan: Plan
    realization: Realization


@pytest.fixture(scope="module")
def deployed(swarm: Swarm) -> Iterator[Deployed]:
    """The `swarm` stack's plan, created through the manager; removed through it after the
    module, and then checked gone from every node."""
    plan = stack_plan("swarm")
    realization = Realization(swarm.manager)
    try:
        realization.apply_plan(plan)
        yield Deployed(plan, realization)
    finally:
        realization.teardown()
    eventually(lambda: _nothing_left(swarm), what="the stack leaving every node", deadline=30)


def _nothing_left(swarm: Swarm) -> None:
    """No service, task or secret on the swarm; no container of the stack, and no network but
    the predefined ones and the swarm's own, on any node."""
    assert not swarm.manager.api.services(), swarm.manager.api.services()
    assert not swarm.manager.api.tasks(), swarm.manager.api.tasks()
    assert not swarm.manager.api.secrets(), swarm.manager.api.secrets()
    for node in swarm.nodes.values():
        left = [c.name for c in node.client.containers.list(all=True)]
        assert not left, f"node {node.number}: {left}"
        networks = {n.name for n in node.client.networks.list()}
        assert networks <= SWARM_NETWORKS, f"node {node.number}: {sorted(networks)}"


# -- what the swarm says -------------------------------------------------------------------


def _tasks(swarm: Swarm, service: str) -> list[dict[str, Any]]:
    """The service's running tasks, as the manager lists them."""
    return [
        t
        for t in swarm.manager.api.tasks(filters={"service": service, "desired-state": "running"})
        if t["Status"]["State"] == "running"
    ]


def _addresses(task: dict[str, Any], network: str) -> set[str]:
    return {
        address.split("/")[0]
        for attachment in task.get("NetworksAttachments") or []
        if attachment["Network"]["Spec"]["Name"] == network
        for address in attachment["Addresses"]
    }


def _task_addresses(swarm: Swarm, service: str, network: str) -> dict[str, Node]:
    """Each address the service's tasks have on `network`, and the node its task runs on."""
    return {
        address: swarm.nodes[task["NodeID"]]
        for task in _tasks(swarm, service)
        for address in _addresses(task, network)
    }


def _task_container(swarm: Swarm, service: str) -> Any:
    """The container of the service's (first) running task, from its own node's engine."""
    task = _tasks(swarm, service)[0]
    node = swarm.nodes[task["NodeID"]]
    return node.client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])


def _virtual_ip(swarm: Swarm, service: str, network: str) -> str:
    net_id = swarm.manager.networks.get(network).id
    endpoint = swarm.manager.api.inspect_service(service)["Endpoint"]
    return str(
        next(v["Addr"].split("/")[0] for v in endpoint["VirtualIPs"] if v["NetworkID"] == net_id)
    )


def _answers(box: Any, name: str) -> set[str]:
    code, out = sh(box, f"nslookup {name} 127.0.0.11")
    assert code == 0, out
    return {line.split()[-1] for line in out.splitlines()[2:] if line.startswith("Address")}


def _resolves_to_one_of(box: Any, name: str, candidates: list[set[str]]) -> set[str]:
    """What `box` resolves `name` to, once it is one of `candidates` (the embedded DNS server
    answers from one of the networks the asker shares with the target)."""

    def check() -> set[str]:
        answered = _answers(box, name)
        assert answered in candidates, f"{name}: {sorted(answered)}, not one of {candidates}"
        return answered

    return eventually(check, what=f"{box.name} looking up {name}", deadline=30)


def _page(image: str) -> str:
    """The page the stand-in for `image` serves (the httpd one: the real image's)."""
    if image.startswith("httpd:"):
        return IT_WORKS
    return f"<html><body><p>stand-in for {image}</p></body></html>\n"


def _serving(page: str) -> Callable[[int, str], bool]:
    """Whether a fetch (`wget -qO-`, which drops the page's last newline) got `page`."""
    return lambda code, out: code == 0 and out + "\n" == page


def _satisfies(node: Node, constraint: str) -> bool:
    """Whether `node` meets a placement constraint (the forms this stack uses)."""
    match = re.fullmatch(r"\s*(node\.(?:role|id|hostname))\s*(==|!=)\s*(\S+)\s*", constraint)
    assert match, f"constraint {constraint!r} is not one this proof evaluates"
    key, operator, value = match.groups()
    actual = {"node.role": node.role, "node.id": node.id, "node.hostname": node.hostname}[key]
    return (actual == value) == (operator == "==")


def _service_plans(plan: Plan) -> dict[str, dict[str, Any]]:
    return {str(r.inputs["name"]): r.inputs for r in plan.of_type(SERVICE)}


# -- placement -----------------------------------------------------------------------------


def test_tasks_are_placed_as_the_deploy_says(deployed: Deployed, swarm: Swarm) -> None:
    """Each service runs its replicas, only on the nodes its constraints allow, spread evenly
    over those (the swarm's spread strategy)."""
    services = _service_plans(deployed.plan)
    assert set(services) == {"web", "api", "db", "probe"}
    placed: dict[str, list[int]] = {}
    for name, inputs in services.items():
        replicas = int(inputs["mode"]["replicated"]["replicas"])
        constraints = list((inputs["taskSpec"].get("placement") or {}).get("constraints") or [])
        spec = swarm.manager.api.inspect_service(name)["Spec"]
        assert spec["Mode"] == {"Replicated": {"Replicas": replicas}}, spec["Mode"]
        assert spec["TaskTemplate"].get("Placement", {}).get("Constraints", []) == constraints
        eligible = {
            n.id for n in swarm.nodes.values() if all(_satisfies(n, c) for c in constraints)
        }
        tasks = _tasks(swarm, name)
        assert len(tasks) == replicas, f"{name}: {len(tasks)} tasks running, not {replicas}"
        on = [t["NodeID"] for t in tasks]
        assert set(on) <= eligible, f"{name}: tasks on {on}, allowed only {eligible}"
        counts = [on.count(node) for node in eligible]
        assert max(counts) - min(counts) <= 1, f"{name}: {counts} tasks on the allowed nodes"
        placed[name] = sorted(swarm.nodes[node].number for node in on)
    # What that means for this stack on this swarm (node 1 is the only manager):
    assert placed["api"] == [1, 1, 1], placed  # constraints: [node.role == manager]
    assert len(set(placed["web"])) == 2, placed  # two replicas, two nodes
    assert len(placed["db"]) == len(placed["probe"]) == 1, placed


# -- names and reach -----------------------------------------------------------------------


def _shared_networks(plan: Plan, service: str, asker: str) -> list[str]:
    names: dict[str, dict[str, list[str]]] = plan.exports["serviceNames"]
    return [net for net, services in names.items() if service in services and asker in services]


def test_services_resolve_each_other_by_name_across_nodes(deployed: Deployed, swarm: Swarm) -> None:
    """From the probe's task: every service name and alias on the overlays the probe shares
    with it answers with every task's address (dnsrr) or one virtual IP (vip), and
    `tasks.<service>` with every task, wherever the tasks run."""
    plan = deployed.plan
    probe = _task_container(swarm, "probe")
    names: dict[str, dict[str, list[str]]] = plan.exports["serviceNames"]
    modes = {s: v["endpointMode"] for s, v in plan.exports["swarmServices"].items()}
    checked: dict[str, set[str]] = {}
    for services in names.values():
        for service, aliases in services.items():
            shared = _shared_networks(plan, service, "probe")
            tasks = [set(_task_addresses(swarm, service, net)) for net in shared]
            if modes[service] == "dnsrr":
                candidates = tasks
            else:
                candidates = [{_virtual_ip(swarm, service, net)} for net in shared]
            for name in aliases:
                checked[name] = _resolves_to_one_of(probe, name, candidates)
            every = _resolves_to_one_of(probe, f"tasks.{service}", tasks)
            assert len(every) == len(_tasks(swarm, service)), (service, every)
    assert set(checked) == {"web", "www", "api", "api.internal", "db", "database", "probe"}
    assert len(checked["web"]) == 2 and len(checked["db"]) == 1  # dnsrr: every task
    assert len(checked["api"]) == 1  # vip: one address for three tasks
    assert checked["api"].isdisjoint(_task_addresses(swarm, "api", "front"))
    # The two addresses of web are tasks on two nodes.
    web = _task_addresses(swarm, "web", "front")
    assert {web[a].number for a in checked["web"]} == {n.number for n in web.values()}
    assert len({n.number for n in web.values()}) == 2


# The network on which the probe reaches each service's tasks, and the port it serves.
_REACH = {"web": "front", "api": "front", "db": "back"}


def test_every_task_on_every_node_answers_over_the_overlay(
    deployed: Deployed, swarm: Swarm
) -> None:
    """From the probe's task, each task of web, api and db answers ping and HTTP (its image's
    stand-in page) at its overlay address, on its node; tasks on other nodes than the probe's
    among them."""
    probe = _task_container(swarm, "probe")
    probe_node = swarm.nodes[_tasks(swarm, "probe")[0]["NodeID"]].number
    services = _service_plans(deployed.plan)
    reached: dict[int, list[str]] = {}
    for service, on_network in _REACH.items():
        image = str(services[service]["taskSpec"]["containerSpec"]["image"])
        port = swarm.standins[image].ports[0]
        page = _page(image)
        for address, node in sorted(_task_addresses(swarm, service, on_network).items()):
            sh_until(probe, f"ping -c 1 -W 2 {address}", deadline=30)
            sh_until(
                probe,
                f"timeout 5 wget -qO- http://{address}:{port}/",
                _serving(page),
                deadline=30,
            )
            reached.setdefault(node.number, []).append(service)
    running = {
        swarm.nodes[t["NodeID"]].number for service in _REACH for t in _tasks(swarm, service)
    }
    assert set(reached) == running, (reached, running)
    assert set(reached) - {probe_node}, f"every task reached is on the probe's node {probe_node}"
    assert sum(len(s) for s in reached.values()) == 2 + 3 + 1, reached


# -- the joined group ----------------------------------------------------------------------


def test_joined_group_runs_on_one_node_and_reaches_services_by_name(
    deployed: Deployed, swarm: Swarm
) -> None:
    """The edge group, created through the manager, runs there only; the sidecar shares the
    owner's interfaces and loopback and reaches web's tasks, on other nodes, by name; the
    probe's task reaches the owner by its alias on the overlay."""
    realization = deployed.realization
    owner = realization.container("edge-proxy")
    shell = realization.container("edge-shell")
    manager = next(n for n in swarm.nodes.values() if n.role == "manager")
    for node in swarm.nodes.values():
        here = {c.name for c in node.client.containers.list(all=True, filters={"name": "edge-"})}
        assert here == ({"edge-proxy", "edge-shell"} if node is manager else set()), (
            node.number,
            here,
        )
    assert shell.attrs["HostConfig"]["NetworkMode"] == f"container:{owner.id}"
    assert set(owner.attrs["NetworkSettings"]["Networks"]) == {"front"}
    assert sh(shell, "ip -o addr") == sh(owner, "ip -o addr")
    sh_until(
        shell,
        "timeout 5 wget -qO- http://127.0.0.1:80/",
        _serving(IT_WORKS),
    )
    web = _task_addresses(swarm, "web", "front")
    assert {n.number for n in web.values()} - {manager.number}, "no task of web off the manager"
    assert _resolves_to_one_of(shell, "tasks.web", [set(web)]) == set(web)
    assert _resolves_to_one_of(shell, "web", [set(web)]) == set(web)
    assert _resolves_to_one_of(shell, "api", [{_virtual_ip(swarm, "api", "front")}])
    sh_until(
        shell,
        "timeout 5 wget -qO- http://web/",
        _serving(IT_WORKS),
    )
    for address in web:  # each task of web, on its node
        sh_until(
            shell,
            f"timeout 5 wget -qO- http://{address}/",
            _serving(IT_WORKS),
        )
    probe = _task_container(swarm, "probe")
    edge = owner.attrs["NetworkSettings"]["Networks"]["front"]["IPAddress"]
    assert _resolves_to_one_of(probe, "edge", [{edge}]) == {edge}
    sh_until(
        probe,
        "timeout 5 wget -qO- http://edge/",
        _serving(IT_WORKS),
    )


def test_secret_is_a_file_in_the_task_on_its_node(deployed: Deployed, swarm: Swarm) -> None:
    db = _task_container(swarm, "db")
    code, out = sh(db, "cat /run/secrets/db_password; echo; stat -c %a /run/secrets/db_password")
    assert (code, out) == (0, f"{SECRET_TEXT}\n444")


# -- the realizer on more than one node ----------------------------------------------------


def test_global_service_runs_one_task_on_each_node_its_constraints_allow(
    deployed: Deployed, swarm: Swarm
) -> None:
    """A global service constrained to workers converges (the realizer waits for the tasks the
    manager wants, not one per node) with one task on each worker and none on the manager."""
    del deployed  # beside the stack, so the stack's teardown check covers this one's too
    net = network(
        "sw3_global", driver="overlay", attachable=True, ipamConfigs=[{"subnet": "10.82.0.0/24"}]
    )
    inputs: dict[str, Any] = {
        "name": "sw3_global",
        "mode": {"global": True},
        "taskSpec": {
            "containerSpec": {
                "image": "busybox:1.36",
                "args": ["sleep", "2147483647"],
                "stopGracePeriod": "1s",
            },
            "networksAdvanceds": [{"name": "sw3_global"}],
            "placement": {"constraints": ["node.role == worker"]},
        },
        "endpointSpec": {"mode": "dnsrr"},
        "convergeConfig": {"delay": "1s", "timeout": "60s"},
    }
    service = Registration(
        urn=urn(SERVICE, "sw3_global"), type=SERVICE, name="sw3_global", custom=True,
        parent="", inputs=inputs, dependencies=(net.urn,),
    )  # fmt: skip
    with Realization(swarm.manager) as realization:
        realization.apply([net, service])
        on = sorted(swarm.nodes[t["NodeID"]].number for t in _tasks(swarm, "sw3_global"))
        assert on == [2, 3], on
