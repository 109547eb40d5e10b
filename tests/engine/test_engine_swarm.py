"""Proof 6: the swarm target on a one-node swarm of the private engine.

The engine becomes a swarm manager (`docker swarm init --advertise-addr 127.0.0.1`, inside its
own network namespace) for this module and leaves the swarm after it (`docker swarm leave
--force`, then the `docker_gwbridge` bridge it made is removed). The `swarm` stack is realized
as the provider would create it, and its services resolve and reach each other by name across
replicas; `tasks.<service>` answers with every replica; the joined group, plain containers on an
attachable overlay, reaches a service by name. Each swarm rule's violation is flagged by the
pack and then refused by the engine or shown broken, and its fix realizes and communicates.

This kernel has no IPVS (`/proc/net/ip_vs` is absent), so a service's virtual IP resolves but
carries no traffic here: the proofs of reach use services in endpoint mode `dnsrr`, and one test
shows what the virtual IP does on this machine.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from plan import Plan, Registration
from tests.engine.conftest import realized_stack, stack_plan
from tests.engine.images import IT_WORKS, Standin, build_standins, plan_standins
from tests.engine.netns import EngineNetns
from tests.engine.probes import container, eventually, network, sh, sh_until, urn
from tests.engine.realize import SECRET, SERVICE, EngineRefused, Realization
from tests.pack_client import PackClient

pytestmark = pytest.mark.engine


IPVS = Path("/proc/net/ip_vs").exists()
"""Whether this kernel can carry a service's virtual IP (the routing mesh needs IPVS)."""
SECRET_TEXT = (
    Path(__file__).resolve().parents[2] / "stacks/secrets/swarm-db-password.txt"
).read_text(encoding="utf-8")


# -- the swarm -----------------------------------------------------------------------------


def _service_images(plan: Plan) -> set[str]:
    return {str(r.inputs["taskSpec"]["containerSpec"]["image"]) for r in plan.of_type(SERVICE)}


def _leave(client: docker.DockerClient) -> None:
    """Leave the swarm and remove the bridge swarm mode made (`docker_gwbridge`)."""
    for service in client.services.list():
        with contextlib.suppress(docker.errors.NotFound):
            service.remove()
    for task in client.containers.list(all=True, filters={"label": "com.docker.swarm.service.id"}):
        with contextlib.suppress(docker.errors.APIError):
            task.remove(force=True)

    def no_task_left() -> None:
        left = [
            c.name
            for c in client.containers.list(all=True)
            if "com.docker.swarm.service.id" in c.labels
        ]
        assert not left, f"task containers still there: {left}"

    eventually(no_task_left, what="the swarm's task containers going", deadline=30)
    with contextlib.suppress(docker.errors.APIError):
        client.swarm.leave(force=True)

    def bridge_removed() -> None:
        try:
            client.networks.get("docker_gwbridge").remove()
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as error:
            raise AssertionError(str(error)) from None

    eventually(bridge_removed, what="removing docker_gwbridge", deadline=30)


@pytest.fixture(scope="module")
def swarm(
    engine: docker.DockerClient, standins: dict[str, Standin]
) -> Iterator[docker.DockerClient]:
    """The private engine as a one-node swarm, with stand-ins for the swarm stack's images."""
    present = {tag for image in engine.images.list() for tag in image.tags}
    wanted = [
        s for s in plan_standins(_service_images(stack_plan("swarm")), {}) if s.tag not in present
    ]
    build_standins(engine, wanted)
    if engine.info().get("Swarm", {}).get("LocalNodeState") == "active":
        _leave(engine)
    engine.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
    try:
        yield engine
    finally:
        _leave(engine)


def _tasks(client: docker.DockerClient, service: str) -> list[dict[str, Any]]:
    return [
        t
        for t in client.api.tasks(filters={"service": service, "desired-state": "running"})
        if t["Status"]["State"] == "running"
    ]


def _task_container(client: docker.DockerClient, service: str) -> Any:
    task = _tasks(client, service)[0]
    return client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])


def _task_addresses(client: docker.DockerClient, service: str, network: str) -> set[str]:
    addresses = set()
    for task in _tasks(client, service):
        for attachment in task.get("NetworksAttachments") or []:
            if attachment["Network"]["Spec"]["Name"] == network:
                addresses |= {a.split("/")[0] for a in attachment["Addresses"]}
    return addresses


def _virtual_ip(client: docker.DockerClient, service: str, network: str) -> str:
    net_id = client.networks.get(network).id
    endpoint = client.api.inspect_service(service)["Endpoint"]
    return str(
        next(v["Addr"].split("/")[0] for v in endpoint["VirtualIPs"] if v["NetworkID"] == net_id)
    )


def _answers(box: Any, name: str) -> set[str]:
    code, out = sh(box, f"nslookup {name} 127.0.0.11")
    assert code == 0, out
    lines = out.splitlines()[2:]
    return {line.split()[-1] for line in lines if line.startswith("Address")}


def _resolves_to(box: Any, name: str, expected: set[str]) -> None:
    def check() -> None:
        answered = _answers(box, name)
        assert answered == expected, f"{name} answered {sorted(answered)}, not {sorted(expected)}"

    eventually(check, what=f"{box.name} looking up {name}")


# -- the swarm stack -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(swarm: docker.DockerClient) -> Iterator[tuple[Plan, Realization]]:
    yield from realized_stack(swarm, "swarm")


HARDENING = [
    "docker-container-require-no-new-privileges",
    "docker-container-require-capability-drop",
    "docker-container-require-read-only-root",
    "docker-container-require-memory-limit",
    "docker-container-require-image-digest",
]
"""The hygiene rules that say once per stack what hardening its containers leave out."""


def test_swarm_stack_passes_the_pack(pack: PackClient, stack: tuple[Plan, Realization]) -> None:
    """Nothing but the hardening its containers leave out, said once by each hygiene rule."""
    plan, _ = stack
    verdict = pack.check(plan.resources)
    assert [(f.policy, f.level, f.urn) for f in verdict.findings] == [
        (policy, "advisory", "") for policy in HARDENING
    ]


def _expected_answers(client: docker.DockerClient, plan: Plan, service: str) -> list[set[str]]:
    """What a lookup of `service` (or an alias) from the probe may answer: on each network both
    are on, the service's task addresses (dnsrr) or its virtual IP there (vip). The embedded DNS
    server answers from one of the networks the asker shares with the service."""
    names: dict[str, dict[str, list[str]]] = plan.exports["serviceNames"]
    mode = plan.exports["swarmServices"][service]["endpointMode"]
    shared = [net for net, services in names.items() if service in services and "probe" in services]
    if mode == "dnsrr":
        return [_task_addresses(client, service, net) for net in shared]
    return [{_virtual_ip(client, service, net)} for net in shared]


def _resolves_to_one_of(box: Any, name: str, candidates: list[set[str]]) -> set[str]:
    def check() -> set[str]:
        answered = _answers(box, name)
        assert answered in candidates, (
            f"{name} answered {sorted(answered)}, not one of {candidates}"
        )
        return answered

    return eventually(check, what=f"{box.name} looking up {name}")


def test_services_resolve_each_other_by_name_across_replicas(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    plan, _ = stack
    probe = _task_container(swarm, "probe")
    names: dict[str, dict[str, list[str]]] = plan.exports["serviceNames"]
    checked: set[str] = set()
    for services in names.values():
        for service, aliases in services.items():
            candidates = _expected_answers(swarm, plan, service)
            replicas = len(_tasks(swarm, service))
            for name in aliases:
                answered = _resolves_to_one_of(probe, name, candidates)
                mode = plan.exports["swarmServices"][service]["endpointMode"]
                assert len(answered) == (replicas if mode == "dnsrr" else 1), answered
                checked.add(name)
    assert checked == {"web", "www", "api", "api.internal", "db", "database", "probe"}
    # Every replica answers to a dnsrr service's name: the two of web.
    assert len(_answers(probe, "web")) == len(_tasks(swarm, "web")) == 2


def test_tasks_name_returns_every_replica(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    plan, _ = stack
    probe = _task_container(swarm, "probe")
    names: dict[str, dict[str, list[str]]] = plan.exports["serviceNames"]
    for service, settings in plan.exports["swarmServices"].items():
        shared = [n for n, services in names.items() if service in services and "probe" in services]
        candidates = [_task_addresses(swarm, service, net) for net in shared]
        answered = _resolves_to_one_of(probe, settings["tasks"], candidates)
        assert len(answered) == len(_tasks(swarm, service)), answered
    assert len(_answers(probe, "tasks.api")) == 3


def test_services_reach_each_other_by_name(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    probe = _task_container(swarm, "probe")
    sh_until(
        probe,
        "timeout 5 wget -qO- http://web/",
        lambda code, page: code == 0 and page + "\n" == IT_WORKS,
    )
    sh_until(
        probe,
        "timeout 5 wget -qO- http://database:5432/",
        lambda code, page: code == 0 and "stand-in for postgres:16-alpine" in page,
    )
    for address in _task_addresses(swarm, "web", "front"):
        sh_until(probe, f"ping -c 1 -W 2 {address}")


def test_joined_group_on_an_attachable_overlay_reaches_a_service_by_name(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    _, realization = stack
    shell = realization.container("edge-shell")
    owner = realization.container("edge-proxy")
    assert "front" in owner.attrs["NetworkSettings"]["Networks"]
    assert shell.attrs["HostConfig"]["NetworkMode"] == f"container:{owner.id}"
    _resolves_to(shell, "tasks.web", _task_addresses(swarm, "web", "front"))
    _resolves_to(shell, "web", _task_addresses(swarm, "web", "front"))
    sh_until(
        shell,
        "timeout 5 wget -qO- http://web/",
        lambda code, page: code == 0 and page + "\n" == IT_WORKS,
    )
    sh_until(
        shell,
        "timeout 5 wget -qO- http://127.0.0.1:80/",
        lambda code, page: code == 0 and page + "\n" == IT_WORKS,
    )
    # And the services see the group under its alias on the overlay.
    _resolves_to(
        _task_container(swarm, "probe"),
        "edge",
        {owner.attrs["NetworkSettings"]["Networks"]["front"]["IPAddress"]},
    )


def test_virtual_ip_resolves_and_carries_traffic_only_with_ipvs(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    probe = _task_container(swarm, "probe")
    vip = _virtual_ip(swarm, "api", "front")
    _resolves_to(probe, "api", {vip})
    assert vip not in _task_addresses(swarm, "api", "front")
    for address in _task_addresses(swarm, "api", "front"):
        sh_until(
            probe,
            f"timeout 5 wget -qO- http://{address}/",
            lambda code, page: code == 0 and "nginx" in page,
        )
    code, out = sh(probe, f"timeout 3 wget -qO- http://{vip}/")
    if IPVS:
        assert code == 0, out
    else:
        # Killed by the timeout (143), not answered and not crashed: the VIP takes no traffic.
        assert code == 143, f"the virtual IP without IPVS: exit {code}, {out!r}"


def test_secret_is_a_file_in_the_task_and_nowhere_in_the_spec(
    stack: tuple[Plan, Realization], swarm: docker.DockerClient
) -> None:
    db = _task_container(swarm, "db")
    code, out = sh(db, "cat /run/secrets/db_password; echo; stat -c %a /run/secrets/db_password")
    assert (code, out) == (0, f"{SECRET_TEXT}\n444")  # as docker stack deploy writes it
    spec = json.dumps(swarm.api.inspect_service("db"))
    assert SECRET_TEXT not in spec
    assert "app_db_password" in spec
    secret = swarm.api.inspect_secret("app_db_password")
    assert "Data" not in secret["Spec"]


# -- the rules -----------------------------------------------------------------------------

Check = Callable[[Realization, docker.DockerClient], None]


@dataclass(frozen=True)
class Case:
    """A swarm configuration, what the pack says about it, and what the engine does with it."""

    id: str
    rule: str
    """The pack's policy name."""
    resources: Callable[[], list[Registration]]
    step: str = ""
    """For a refusal: the step the engine refuses."""
    message: str = ""
    """For a refusal: the engine's exact message."""
    check: Check | None = None
    """For an accepted configuration: proof that it is broken."""
    fix: Callable[[], list[Registration]] | None = None
    """The compliant variant."""
    fix_check: Check | None = None
    """Proof that the compliant variant works."""


def _service(
    name: str,
    networks: list[dict[str, Any]],
    *,
    replicas: int = 1,
    image: str = "busybox:latest",
    command: list[str] | None = None,
    depends_on: tuple[Registration, ...] = (),
    converge: bool = True,
    endpoint: dict[str, Any] | None = None,
    **container_spec: Any,
) -> Registration:
    """A `docker.Service` registration, busybox sleeping unless told otherwise."""
    spec: dict[str, Any] = {"image": image, **container_spec}
    if image.startswith("busybox") and command is None:
        spec["args"] = ["sleep", "3600"]
    inputs: dict[str, Any] = {
        "name": name,
        "mode": {"replicated": {"replicas": float(replicas)}},
        "taskSpec": {"containerSpec": spec, "networksAdvanceds": networks},
        "endpointSpec": endpoint or {"mode": "dnsrr"},
    }
    if converge:
        inputs["convergeConfig"] = {"delay": "1s", "timeout": "30s"}
    return Registration(
        urn=urn(SERVICE, name), type=SERVICE, name=name, custom=True, parent="",
        inputs=inputs, dependencies=tuple(r.urn for r in depends_on),
    )  # fmt: skip


def _secret(name: str, text: str) -> Registration:
    return Registration(
        urn=urn(SECRET, name), type=SECRET, name=name, custom=True, parent="",
        inputs={"name": name, "data": base64.b64encode(text.encode()).decode()},
    )  # fmt: skip


def _overlay(name: str, subnet: str, attachable: bool = True) -> Registration:
    return network(name, driver="overlay", attachable=attachable, ipamConfigs=[{"subnet": subnet}])


def _on(*names: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"name": n, **extra} for n in names]


def _kept(name: str, **inputs: Any) -> Registration:
    return container(name, mustRun=True, restart="unless-stopped", **inputs)


def _looks_up_from(service: str, name: str, *, within: str) -> Check:
    """The service's task resolves `name` to the tasks of service `name` on `within`."""

    def check(r: Realization, client: docker.DockerClient) -> None:
        _resolves_to(_task_container(client, service), name, _task_addresses(client, name, within))

    return check


def _static_request_ignored(r: Realization, client: docker.DockerClient) -> None:
    addresses = _task_addresses(client, "sw_pin", "sw_ov")
    assert len(addresses) == 1 and "10.81.0.77" not in addresses, addresses
    spec = client.api.inspect_service("sw_pin")["Spec"]["TaskTemplate"]["Networks"][0]
    assert spec["DriverOpts"] == {"ipv4_address": "10.81.0.77"}  # accepted, kept, ignored


def _pinned(driver_opts: dict[str, str] | None) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        net = _overlay("sw_ov", "10.81.0.0/24")
        extra = {"driverOpts": driver_opts} if driver_opts else {}
        pin = _service("sw_pin", _on("sw_ov", **extra), depends_on=(net,))
        probe = _service("sw_probe", _on("sw_ov"), depends_on=(net,))
        return [net, pin, probe]

    return resources


def _name_unresolved_on_bridge(r: Realization, client: docker.DockerClient) -> None:
    lonely = _task_container(client, "sw_lonely")
    assert set(lonely.attrs["NetworkSettings"]["Networks"]) == {"bridge"}
    code, out = sh(lonely, "ping -c 1 -W 1 sw_peer")
    assert code != 0 and "bad address 'sw_peer'" in out, out


def _on_bridge(networks: Callable[[], list[dict[str, Any]]]) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        net = _overlay("sw_ov", "10.81.0.0/24")
        peer = _service("sw_peer", _on("sw_ov"), depends_on=(net,))
        lonely = _service("sw_lonely", networks(), depends_on=(net, peer))
        return [net, peer, lonely]

    return resources


def _never_allocated(r: Realization, client: docker.DockerClient) -> None:
    assert client.api.inspect_network("sw_ov2")["IPAM"]["Config"] is None
    assert client.api.inspect_network("sw_ov1")["IPAM"]["Config"][0]["Subnet"] == "10.82.0.0/24"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        states = {t["Status"]["State"] for t in client.api.tasks(filters={"service": "sw_late"})}
        assert states == {"new"}, states
        time.sleep(0.5)


def _overlapping(second: str) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        one = _overlay("sw_ov1", "10.82.0.0/24")
        two = _overlay("sw_ov2", second)
        late = _service(
            "sw_late", _on("sw_ov2"), depends_on=(one, two), converge=second != "10.82.0.128/25"
        )
        return [one, two, late]

    return resources


def _second_task_pending(r: Realization, client: docker.DockerClient) -> None:
    def one_runs_one_waits() -> None:
        tasks = client.api.tasks(filters={"service": "sw_hp", "desired-state": "running"})
        states = sorted((t["Status"]["State"], t["Status"].get("Err", "")) for t in tasks)
        assert states == [
            ("pending", "no suitable node (host-mode port already in use on 1 node)"),
            ("running", ""),
        ], states

    eventually(one_runs_one_waits, what="sw_hp's two tasks")


def _host_port(replicas: int) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        net = _overlay("sw_ov", "10.81.0.0/24")
        port = {
            "targetPort": 80.0,
            "publishedPort": 18095.0,
            "protocol": "tcp",
            "publishMode": "host",
        }
        hp = _service(
            "sw_hp",
            _on("sw_ov"),
            replicas=replicas,
            image="httpd:latest",
            endpoint={"mode": "dnsrr", "ports": [port]},
            depends_on=(net,),
            converge=replicas == 1,
        )
        return [net, hp]

    return resources


def _env_readable(r: Realization, client: docker.DockerClient) -> None:
    spec = client.api.inspect_service("sw_env")["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert "DB_PASSWORD=hunter2" in spec["Env"]
    task = _task_container(client, "sw_env")
    assert "DB_PASSWORD=hunter2" in task.attrs["Config"]["Env"]


def _secret_file_only(r: Realization, client: docker.DockerClient) -> None:
    assert "hunter2" not in json.dumps(client.api.inspect_service("sw_env"))
    task = _task_container(client, "sw_env")
    assert "hunter2" not in json.dumps(task.attrs["Config"])
    assert sh(task, "cat /run/secrets/db_password") == (0, "hunter2")
    assert "Data" not in client.api.inspect_secret("sw_db")["Spec"]


def _env_secret(as_file: bool) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        net = _overlay("sw_ov", "10.81.0.0/24")
        if not as_file:
            return [
                net,
                _service("sw_env", _on("sw_ov"), env={"DB_PASSWORD": "hunter2"}, depends_on=(net,)),
            ]
        secret = _secret("sw_db", "hunter2")
        reference = {
            "secretId": secret.urn, "secretName": "sw_db",
            "fileName": "/run/secrets/db_password", "fileMode": 256.0,
        }  # fmt: skip
        env = {"DB_PASSWORD_FILE": "/run/secrets/db_password"}
        service = _service(
            "sw_env", _on("sw_ov"), env=env, secrets=[reference], depends_on=(net, secret)
        )
        return [net, secret, service]

    return resources


def _closed_overlay(attachable: bool) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        net = _overlay("sw_closed", "10.83.0.0/24", attachable=attachable)
        peer = _service("sw_peer", _on("sw_closed"), depends_on=(net,))
        plain = _kept("sw_plain", networksAdvanced=_on("sw_closed"), depends_on=(net, peer))
        return [net, peer, plain]

    return resources


def _plain_container_pings_service(r: Realization, client: docker.DockerClient) -> None:
    plain = r.container("sw_plain")
    _resolves_to(plain, "sw_peer", _task_addresses(client, "sw_peer", "sw_closed"))
    sh_until(plain, "ping -c 1 -W 2 sw_peer")


CASES = [
    Case(
        id="service-static-address",
        rule="docker-service-disallow-static-ip",
        resources=_pinned({"ipv4_address": "10.81.0.77"}),
        check=_static_request_ignored,
        fix=_pinned(None),
        fix_check=_looks_up_from("sw_probe", "sw_pin", within="sw_ov"),
    ),
    Case(
        id="service-in-container-mode",
        rule="docker-service-disallow-joined-network-mode",
        resources=lambda: [
            own := _kept("sw_owner", image="httpd:latest", command=None),
            _service("sw_side", [{"name": "container:sw_owner"}], depends_on=(own,)),
        ],
        step="service create",
        message="network container:sw_owner not found",
    ),
    Case(
        id="container-on-closed-overlay",
        rule="docker-container-require-attachable-overlay",
        resources=_closed_overlay(False),
        step="container start",
        message=(
            "Could not attach to network sw_closed: rpc error: code = PermissionDenied desc = "
            "network sw_closed not manually attachable"
        ),
        fix=_closed_overlay(True),
        fix_check=_plain_container_pings_service,
    ),
    Case(
        id="service-on-user-bridge",
        rule="docker-service-require-overlay-network",
        resources=lambda: [
            net := network("sw_br", driver="bridge", ipamConfigs=[{"subnet": "10.84.0.0/24"}]),
            _service("sw_on_bridge", _on("sw_br"), depends_on=(net,)),
        ],
        step="service create",
        message=(
            "The network sw_br cannot be used with services. Only networks scoped to the swarm "
            "can be used, such as those created with the overlay driver."
        ),
    ),
    Case(
        id="service-on-default-bridge",
        rule="docker-service-require-overlay-network",
        resources=_on_bridge(lambda: _on("bridge")),
        check=_name_unresolved_on_bridge,
        fix=_on_bridge(lambda: _on("sw_ov")),
        fix_check=_looks_up_from("sw_lonely", "sw_peer", within="sw_ov"),
    ),
    Case(
        id="overlapping-overlay-subnets",
        rule="docker-network-disallow-overlapping-overlay-subnets",
        resources=_overlapping("10.82.0.128/25"),
        check=_never_allocated,
        fix=_overlapping("10.82.1.0/24"),
    ),
    Case(
        id="host-port-beyond-nodes",
        rule="docker-service-disallow-host-ports-beyond-nodes",
        resources=_host_port(2),
        check=_second_task_pending,
        fix=_host_port(1),
    ),
    Case(
        id="secret-in-env",
        rule="docker-service-disallow-secret-in-env",
        resources=_env_secret(as_file=False),
        check=_env_readable,
        fix=_env_secret(as_file=True),
        fix_check=_secret_file_only,
    ),
]


def _verdict(pack: PackClient, resources: list[Registration]) -> Any:
    return pack.check(resources)


@pytest.fixture
def swarm_realize(swarm: docker.DockerClient) -> Iterator[Callable[[], Realization]]:
    """Realizations on the swarm; everything they made is removed after the test."""
    made: list[Realization] = []

    def make() -> Realization:
        realization = Realization(swarm)
        made.append(realization)
        return realization

    yield make
    for realization in reversed(made):
        realization.teardown()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_swarm_rule_matches_the_engine(
    pack: PackClient,
    case: Case,
    swarm: docker.DockerClient,
    swarm_realize: Callable[[], Realization],
) -> None:
    resources = case.resources()
    flagged = [f for f in _verdict(pack, resources).findings if f.policy == case.rule]
    assert flagged, f"the pack does not flag {case.id}"
    assert {f.level for f in flagged} == {"mandatory"}, flagged
    realization = swarm_realize()
    if case.check is not None:
        realization.apply(resources)
        case.check(realization, swarm)
        return
    with pytest.raises(EngineRefused) as refused:
        realization.apply(resources)
    assert (refused.value.step, refused.value.message) == (case.step, case.message)


FIXES = [c for c in CASES if c.fix is not None]


@pytest.mark.parametrize("case", FIXES, ids=[c.id for c in FIXES])
def test_swarm_fix_passes_the_pack_and_realizes(
    pack: PackClient,
    case: Case,
    swarm: docker.DockerClient,
    swarm_realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    assert case.fix is not None
    resources = case.fix()
    verdict = _verdict(pack, resources)
    assert not verdict.mandatory, verdict.mandatory
    realization = swarm_realize()
    realization.apply(resources)  # every service with convergeConfig has all its tasks running
    for service in realization.services:
        assert _tasks(swarm, service), f"{service} has no running task"
    if case.fix_check is not None:
        case.fix_check(realization, swarm)
    if case.id == "host-port-beyond-nodes":
        fetched = eventually(
            lambda: _page(engine_netns.fetch("http://127.0.0.1:18095/")),
            what="the host-mode port in the engine's namespace",
        )
        assert fetched == IT_WORKS


def _page(fetched: Any) -> str:
    assert fetched.page is not None, fetched.error
    return str(fetched.page)
