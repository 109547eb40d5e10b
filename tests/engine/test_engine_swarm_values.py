"""Proofs, on the one-node swarm, for the rules on values the swarm refuses: a service name with
a dot (or a trailing newline), replicas beyond what it reads, a memory limit below a task's
minimum (the service is created and every task rejected), ingress ports with endpoint mode
`dnsrr`, one ingress port for two services; and for container rules that reach a service's task
(a relative working directory, an unknown stop signal, a kernel parameter of the host: the
service is created and every task rejected with the engine's words). Each is flagged by the
pack (mandatory) and refused by the engine with the message the rule quotes, matched whole (ids
aside), or shown broken; each fix passes the pack and its tasks run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
import pytest

from plan import Registration
from tests.engine.probes import eventually, sh
from tests.engine.realize import EngineRefused, Realization
from tests.engine.test_engine_swarm import (  # noqa: F401 (the fixtures)
    _on,
    _overlay,
    _service,
    _tasks,
    swarm,
    swarm_realize,
)
from tests.engine.unix_client import install, supported
from tests.pack_client import PackClient

pytestmark = pytest.mark.engine

RPC = re.escape("rpc error: code = InvalidArgument desc = ")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    resources: Callable[[], list[Registration]]
    message: str = ""
    """For a refusal at service create: the engine's message, a regular expression matched
    whole."""
    check: Callable[[docker.DockerClient], None] | None = None
    """For an accepted configuration: proof that it is broken."""
    fix: Callable[[], list[Registration]] | None = None


_NETS = iter(range(256))


def _alone(name: str, **inputs: Any) -> Callable[[], list[Registration]]:
    # An overlay of its own for each configuration: the swarm removes one a moment after it
    # says so, and a next one of the same name may come too soon.
    third = next(_NETS)
    net_name = f"sv_ov{third}"

    def resources() -> list[Registration]:
        net = _overlay(net_name, f"10.85.{third}.0/24")
        return [net, _service(name, _on(net_name), depends_on=(net,), **inputs)]

    return resources


def _unconverged(name: str, **inputs: Any) -> Callable[[], list[Registration]]:
    """`_alone`, without waiting for its tasks to run (every task is to be rejected)."""

    def resources() -> list[Registration]:
        made = _alone(name, **inputs)()
        made[1].inputs.pop("convergeConfig", None)
        return made

    return resources


def _with_replicas(replicas: float) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        made = _alone("sv_many")()
        made[1].inputs["mode"] = {"replicated": {"replicas": replicas}}
        made[1].inputs.pop("convergeConfig", None)
        return made

    return resources


def _with_memory(memory: int, *, converge: bool) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        made = _alone("sv_small")()
        made[1].inputs["taskSpec"]["resources"] = {"limits": {"memoryBytes": float(memory)}}
        if not converge:
            made[1].inputs.pop("convergeConfig", None)
        return made

    return resources


def _rejected(service: str, error: str) -> Callable[[docker.DockerClient], None]:
    """Proof that the swarm creates the service and the node rejects every task with `error`."""

    def check(client: docker.DockerClient) -> None:
        deadline = time.monotonic() + 30
        while True:
            tasks = client.api.tasks(filters={"service": service})
            failed = [t for t in tasks if t["Status"]["State"] in ("rejected", "failed")]
            errors = {t["Status"].get("Err") for t in failed}
            if errors and len(tasks) >= 2:
                break
            assert time.monotonic() < deadline, tasks
            time.sleep(0.5)
        assert errors == {error}, errors
        assert not _tasks(client, service), "a task runs"

    return check


_every_task_rejected = _rejected("sv_small", "Minimum memory limit allowed is 6MB")


def _ingress(mode: str, port: float = 18098.0) -> dict[str, Any]:
    spec = {"targetPort": 80.0, "publishedPort": port, "protocol": "tcp", "publishMode": "ingress"}
    return {"mode": mode, "ports": [spec]}


def _two_on_one_port(second: float) -> Callable[[], list[Registration]]:
    third = next(_NETS)
    net_name = f"sv_ov{third}"

    def resources() -> list[Registration]:
        net = _overlay(net_name, f"10.85.{third}.0/24")
        one = _service("sv_one", _on(net_name), endpoint=_ingress("vip"), depends_on=(net,))
        two = _service(
            "sv_two", _on(net_name), endpoint=_ingress("vip", second), depends_on=(net, one)
        )
        return [net, one, two]

    return resources


CASES = [
    *[
        Case(
            id=f"service-name-{what}",
            rule="docker-service-enforce-valid-name",
            resources=_alone(name),
            message=RPC + re.escape("name must be valid as a DNS name component"),
            fix=_alone("sv_v2"),
        )
        for what, name in [("with-a-dot", "sv.v2"), ("with-a-trailing-newline", "sv_v2\n")]
    ],
    Case(
        id="replicas-beyond-int64",
        rule="docker-service-enforce-valid-replicas",
        resources=_with_replicas(1e19),
        message=RPC + re.escape("Number of replicas must be non-negative"),
        fix=_with_replicas(1.0),
    ),
    Case(
        id="replicas-beyond-uint64",
        rule="docker-service-enforce-valid-replicas",
        resources=_with_replicas(1e20),
        message=re.escape(
            "json: cannot unmarshal number 100000000000000000000 into Go struct field "
            "ReplicatedService.Mode.Replicated.Replicas of type uint64"
        ),
    ),
    Case(
        id="memory-below-the-swarm-floor",
        rule="docker-service-enforce-valid-memory-limit",
        resources=_with_memory(1024, converge=False),
        message=RPC + re.escape("invalid memory value 1024: Must be at least 4MiB"),
    ),
    Case(
        id="memory-below-the-task-minimum",
        rule="docker-service-enforce-valid-memory-limit",
        resources=_with_memory(5 * MIB, converge=False),
        check=_every_task_rejected,
        fix=_with_memory(6 * MIB, converge=True),
    ),
    # Container rules that reach a service's task: the node creates each task's container as
    # the engine creates any other, and rejects every task with the engine's words.
    Case(
        id="service-working-dir-relative",
        rule="docker-container-enforce-valid-process",
        resources=_unconverged("sv_dir", dir="app"),
        check=_rejected(
            "sv_dir", "the working directory 'app' is invalid, it needs to be an absolute path"
        ),
        fix=_alone("sv_dir", dir="/app"),
    ),
    Case(
        id="service-stop-signal-unknown",
        rule="docker-container-enforce-valid-process",
        resources=_unconverged("sv_sig", stopSignal="SIGNOPE"),
        check=_rejected("sv_sig", "Invalid signal: SIGNOPE"),
    ),
    Case(
        id="service-sysctl-of-the-host",
        rule="docker-container-disallow-host-sysctls",
        resources=_unconverged("sv_sysctl", sysctl={"vm.swappiness": "10"}),
        check=_rejected(
            "sv_sysctl",
            "starting container failed: failed to create shim task: OCI runtime create failed: "
            'runc create failed: sysctl "vm.swappiness" is not in a separate kernel namespace: '
            "unknown",
        ),
    ),
    Case(
        id="dnsrr-with-an-ingress-port",
        rule="docker-service-disallow-ingress-port-with-dnsrr",
        resources=_alone("sv_rr", endpoint=_ingress("dnsrr")),
        message=RPC
        + re.escape("EndpointSpec: port published with ingress mode can't be used with dnsrr mode"),
        fix=_alone("sv_rr", endpoint=_ingress("vip")),
    ),
    Case(
        id="one-ingress-port-for-two-services",
        rule="docker-service-disallow-duplicate-ingress-port",
        resources=_two_on_one_port(18098.0),
        message=RPC
        + re.escape("port '18098' is already in use by service 'sv_one' (")
        + "[0-9a-z]{25}"
        + re.escape(") as an ingress port"),
        fix=_two_on_one_port(18099.0),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_swarm_value_rule_matches_the_engine(
    pack: PackClient,
    case: Case,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
) -> None:
    resources = case.resources()
    flagged = [f for f in pack.check(resources).findings if f.policy == case.rule]
    assert flagged, f"the pack does not flag {case.id}"
    assert {f.level for f in flagged} == {"mandatory"}, flagged
    realization = swarm_realize()
    if case.check is not None:
        realization.apply(resources)
        case.check(swarm)
        return
    with pytest.raises(EngineRefused) as refused:
        realization.apply(resources)
    assert refused.value.step == "service create", refused.value
    assert re.fullmatch(case.message, refused.value.message), refused.value.message


FIXES = [c for c in CASES if c.fix is not None]


@pytest.mark.parametrize("case", FIXES, ids=[c.id for c in FIXES])
def test_swarm_value_fix_passes_the_pack_and_runs(
    pack: PackClient,
    case: Case,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
) -> None:
    assert case.fix is not None
    resources = case.fix()
    verdict = pack.check(resources)
    assert not verdict.mandatory, verdict.mandatory
    assert not [f for f in verdict.findings if f.policy == case.rule], verdict.findings
    realization = swarm_realize()
    realization.apply(resources)
    for service in realization.services:
        assert _tasks(swarm, service) or realization.converge(service, 30), service


# -- services as containers ------------------------------------------------------------------


def _flagged(pack: PackClient, resources: list[Registration], rule: str, **config: Any) -> str:
    verdict = pack.check(resources, config={rule: config} if config else None)
    found = [f for f in verdict.findings if f.policy == rule]
    assert [f.level for f in found] == ["mandatory"], verdict.findings
    return found[0].message


def _task(client: docker.DockerClient, service: str) -> Any:
    task = _tasks(client, service)[0]
    return client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])


def test_service_adding_sys_admin_gets_it(
    pack: PackClient,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
) -> None:
    resources = _alone("sv_admin", capAdds=["SYS_ADMIN"])()
    message = _flagged(pack, resources, "docker-container-enforce-allowed-capabilities")
    assert message.startswith('service "sv_admin": taskSpec.containerSpec.capAdds has'), message
    realization = swarm_realize()
    realization.apply(resources)
    mount = "mkdir -p /m && mount -t tmpfs none /m && echo mounted"
    assert sh(_task(swarm, "sv_admin"), mount) == (0, "mounted")


def test_service_given_the_engine_socket_controls_the_engine(
    pack: PackClient,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
    engine_socket: str,
) -> None:
    if reason := supported():
        pytest.skip(reason)
    socket = engine_socket
    bind = {"type": "bind", "source": socket, "target": "/var/run/docker.sock", "readOnly": True}
    resources = _alone("sv_sock", mounts=[bind])()
    message = _flagged(
        pack, resources, "docker-container-disallow-docker-socket-mount", engineSockets=[socket]
    )
    assert message.startswith('service "sv_sock": taskSpec.containerSpec.mounts[0]'), message
    realization = swarm_realize()
    realization.apply(resources)
    task = _task(swarm, "sv_sock")
    client = install(task)
    listed = "printf 'GET /services HTTP/1.0\\r\\n\\r\\n' | " + f"{client} /var/run/docker.sock"
    code, answer = sh(task, listed)
    assert code == 0 and answer.startswith("HTTP/1.0 200 OK"), answer
    assert '"Name":"sv_sock"' in answer, answer


def test_service_off_the_overlay_of_the_name_it_looks_up(
    pack: PackClient,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
) -> None:
    def resources(together: bool) -> list[Registration]:
        # Overlays of their own for each variant (the swarm removes one a moment late).
        a, b = ("sv_ovc", "sv_ovd") if together else ("sv_ova", "sv_ovb")
        third = 2 if together else 0
        one = _overlay(a, f"10.86.{third}.0/24")
        two = _overlay(b, f"10.86.{third + 1}.0/24")
        peer = _service("sv_peer", _on(a), depends_on=(one,))
        nets = _on(a) if together else _on(b)
        asker = _service(
            "sv_asker", nets, env={"UPSTREAM_URL": "http://sv_peer/"}, depends_on=(one, two)
        )
        return [one, two, peer, asker]

    apart = resources(together=False)
    message = _flagged(pack, apart, "docker-container-require-shared-network-for-dns")
    assert message.startswith(
        'service "sv_asker": env UPSTREAM_URL names "sv_peer" (service "sv_peer")'
    ), message
    realization = swarm_realize()
    realization.apply(apart)
    lookup = "nslookup -timeout=2 -retry=1 sv_peer 127.0.0.11"
    code, out = sh(_task(swarm, "sv_asker"), lookup)
    assert code != 0, out
    realization.teardown()
    together = resources(together=True)
    verdict = pack.check(together)
    assert not verdict.mandatory, verdict.mandatory
    realization = swarm_realize()
    realization.apply(together)
    eventually(
        lambda: _answered(sh(_task(swarm, "sv_asker"), lookup)), what="sv_asker finding sv_peer"
    )


def _answered(result: tuple[int, str]) -> None:
    assert result[0] == 0, result[1]


def test_constraint_with_a_trailing_newline_is_trimmed_and_placed(
    pack: PackClient,
    swarm: docker.DockerClient,  # noqa: F811
    swarm_realize: Callable[[], Realization],  # noqa: F811
) -> None:
    resources = _alone("sv_placed")()
    resources[1].inputs["taskSpec"]["placement"] = {"constraints": ["node.role == manager\n"]}
    assert not pack.check(resources).mandatory
    realization = swarm_realize()
    realization.apply(resources)  # converges: the task runs on the manager
    assert _tasks(swarm, "sv_placed")
