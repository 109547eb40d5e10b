"""Proof 2: the prod stack realized on the engine: every exported name and endpoint answers,
and containers of the internal network reach nothing outside it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from plan import Plan
from tests.engine.conftest import realized_stack
from tests.engine.images import Standin
from tests.engine.netns import EngineNetns
from tests.engine.probes import sh, sh_until
from tests.engine.realize import CONTAINER, Realization

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def prod(
    engine: docker.DockerClient, standins: dict[str, Standin]
) -> Iterator[tuple[Plan, Realization]]:
    yield from realized_stack(engine, "prod")


def _networks_of(container: Any) -> dict[str, Any]:
    return dict(container.attrs["NetworkSettings"]["Networks"])


def _members_on(realization: Realization, network: str) -> list[str]:
    return [
        name
        for name in realization.containers
        if network in _networks_of(realization.container(name))
    ]


def test_every_exported_dns_name_resolves_to_its_member_and_answers(
    prod: tuple[Plan, Realization],
) -> None:
    plan, realization = prod
    checked = 0
    for group, members in plan.exports["dnsNames"].items():
        for target, names in members.items():
            target_box = realization.container(target)
            for network, settings in _networks_of(target_box).items():
                address = settings["IPAddress"]
                for source in _members_on(realization, network):
                    if source == target:
                        continue
                    for name in names:
                        _, out = sh_until(realization.container(source), f"ping -c 1 -W 2 {name}")
                        assert f"({address})" in out.splitlines()[0], f"{group}: {out}"
                        checked += 1
    assert checked >= 3


def test_every_exported_static_address_is_the_containers(prod: tuple[Plan, Realization]) -> None:
    plan, realization = prod
    for network, containers in plan.exports["staticAddresses"].items():
        for name, address in containers.items():
            assert _networks_of(realization.container(name))[network]["IPAddress"] == address


def test_every_loopback_endpoint_answers_every_member_of_its_group(
    prod: tuple[Plan, Realization],
) -> None:
    plan, realization = prod
    checked = 0
    for endpoints in plan.exports["loopbackEndpoints"].values():
        # The group: an owner and the sidecars that join its namespace.
        for owner_reg in plan.of_type(CONTAINER):
            owner = str(owner_reg.inputs["name"])
            sidecars = [
                str(r.inputs["name"])
                for r in plan.of_type(CONTAINER)
                if r.inputs.get("networkMode") == f"container:{owner}"
            ]
            if not sidecars:
                continue
            for member in [owner, *sidecars]:
                for endpoint in endpoints:
                    sh_until(
                        realization.container(member),
                        f"wget -qO- http://{endpoint}/",
                        lambda code, page: code == 0 and "<html>" in page,
                    )
                    checked += 1
    assert checked >= 4


def test_app_sidecar_reaches_the_api_by_name_through_the_owners_networks(
    prod: tuple[Plan, Realization],
) -> None:
    plan, realization = prod
    app = next(r for r in plan.of_type(CONTAINER) if str(r.inputs.get("networkMode", "")) and any(
        e.startswith("API_URL=") for e in r.inputs.get("envs") or []
    ))  # fmt: skip
    url = next(e for e in app.inputs["envs"] if e.startswith("API_URL="))[len("API_URL=") :]
    sh_until(
        realization.container(str(app.inputs["name"])),
        f"wget -qO- {url}/",
        lambda code, page: code == 0 and "stand-in for" in page,
    )


def test_internal_network_containers_cannot_reach_other_networks(
    prod: tuple[Plan, Realization], engine_netns: EngineNetns
) -> None:
    plan, realization = prod
    internal = [n for n in plan.exports["networks"].values() if n["internal"]]
    assert internal, "the prod stack has an internal network"
    for net in internal:
        subnet = ipaddress.ip_network(net["subnet"])
        only_internal = [
            name
            for name in _members_on(realization, net["name"])
            if set(_networks_of(realization.container(name))) == {net["name"]}
        ]
        assert only_internal
        # Addresses of containers on any other network (a multi-homed container's other legs).
        outside = {
            f"{name}@{network}": settings["IPAddress"]
            for name in realization.containers
            for network, settings in _networks_of(realization.container(name)).items()
            if network != net["name"] and settings["IPAddress"]
        }
        assert outside
        inside = {
            name: _networks_of(realization.container(name))[net["name"]]["IPAddress"]
            for name in _members_on(realization, net["name"])
        }
        for source in only_internal:
            box = realization.container(source)
            for target, address in inside.items():
                if target != source:
                    sh_until(box, f"ping -c 1 -W 1 {address}")
            for target, address in outside.items():
                assert ipaddress.ip_address(address) not in subnet
                code, out = sh(box, f"ping -c 1 -W 1 {address}")
                assert code != 0 and "0 packets received" in out, f"{source} reached {target}"
                # busybox's `wget -T` crashes (exit 139) in the stand-ins: bound it with timeout,
                # and tell a blocked fetch (1, or 143 when cut off) from a crash.
                code, out = sh(box, f"timeout 3 wget -q -O- http://{address}/")
                assert code in (1, 143), (
                    f"{source} fetched from {target} at {address}: {code} {out}"
                )
        _assert_engine_isolates(net["name"], subnet, realization, engine_netns)


def _assert_engine_isolates(
    name: str,
    subnet: ipaddress.IPv4Network | ipaddress.IPv6Network,
    r: Realization,
    netns: EngineNetns,
) -> None:
    """The engine's own DROP rules for the internal bridge are in place, in its namespace."""
    bridge = "br-" + r.networks[name].id[:12]
    rules = netns.output("iptables", "-S", "DOCKER-ISOLATION-STAGE-1")
    drops = [set(line.split(" ")) for line in rules.splitlines() if line.endswith("-j DROP")]
    inbound = {"!", "-s", str(subnet), "-o", bridge}
    outbound = {"!", "-d", str(subnet), "-i", bridge}
    assert any(inbound <= words for words in drops), rules
    assert any(outbound <= words for words in drops), rules
