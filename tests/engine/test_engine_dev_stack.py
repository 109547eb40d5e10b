"""Proof 1: the dev stack (the source note's three ways) realized on the engine communicates.

Everything is read from the recorded plan and the stack's exports: the DNS names each member
answers to, the static addresses, the loopback endpoints of the joined group.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from plan import Plan
from tests.engine.conftest import realized_stack
from tests.engine.images import IT_WORKS, Standin
from tests.engine.probes import sh, sh_until
from tests.engine.realize import CONTAINER, Realization

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def dev(
    engine: docker.DockerClient, standins: dict[str, Standin]
) -> Iterator[tuple[Plan, Realization]]:
    yield from realized_stack(engine, "dev")


def _address_on(container: Any, network: str) -> str:
    return str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


def _resolved(output: str) -> str:
    match = re.search(r"PING \S+ \((\d+\.\d+\.\d+\.\d+)\)", output)
    assert match, output
    return match.group(1)


def test_dns_group_members_resolve_and_ping_each_other_by_name_and_alias(
    dev: tuple[Plan, Realization],
) -> None:
    plan, realization = dev
    groups: dict[str, dict[str, list[str]]] = plan.exports["dnsNames"]
    networks = {n["name"] for n in plan.exports["networks"].values()}
    checked = 0
    for group, members in groups.items():
        for target, names in members.items():
            target_box = realization.container(target)
            network = next(
                n for n in target_box.attrs["NetworkSettings"]["Networks"] if n in networks
            )
            for source in members:
                if source == target:
                    continue
                for name in names:
                    _, out = sh_until(
                        realization.container(source),
                        f"ping -c 1 -W 2 {name}",
                        lambda code, out: code == 0 and "1 packets received" in out,
                        context=f"{group}: {source} -> {target} as {name}",
                    )
                    assert _resolved(out) == _address_on(target_box, network), out
                    checked += 1
    # The note's own case: bbox2 pings bbox1 by name, and by its alias.
    assert checked >= 4
    _, out = sh_until(realization.container("bbox2"), "ping -c 1 -W 2 bbox1")
    assert out.startswith("PING bbox1 (172.22.16."), out


def test_static_ip_container_has_exactly_its_address(dev: tuple[Plan, Realization]) -> None:
    plan, realization = dev
    pinned: dict[str, dict[str, str]] = plan.exports["staticAddresses"]
    assert pinned, "the dev stack exports at least one static address"
    for network, containers in pinned.items():
        subnet = ipaddress.ip_network(plan.exports["networks"][network]["subnet"])
        for name, address in containers.items():
            box = realization.container(name)
            assert _address_on(box, network) == address
            code, out = sh(box, "ip -4 -o addr show scope global")
            assert code == 0, out
            inet = re.findall(r"inet (\S+)", out)
            assert inet == [f"{address}/{subnet.prefixlen}"], out
            # And the others reach it at that address.
            for peer in realization.containers:
                peer_box = realization.container(peer)
                if peer == name or network not in peer_box.attrs["NetworkSettings"]["Networks"]:
                    continue
                sh_until(peer_box, f"ping -c 1 -W 2 {address}")


def _sidecars(plan: Plan, owner: str) -> list[str]:
    return [
        str(r.inputs["name"])
        for r in plan.of_type(CONTAINER)
        if r.inputs.get("networkMode") == f"container:{owner}"
    ]


def test_joined_sidecar_reaches_owner_over_loopback_and_shares_its_interfaces(
    dev: tuple[Plan, Realization],
) -> None:
    plan, realization = dev
    endpoints: dict[str, list[str]] = plan.exports["loopbackEndpoints"]
    assert endpoints == {"web": ["127.0.0.1:80"]}
    owner = realization.container("web1")
    sidecars = _sidecars(plan, "web1")
    assert sidecars, "web1 has a joined sidecar"
    for name in sidecars:
        sidecar = realization.container(name)
        sh_until(
            sidecar,
            "wget -qO- http://127.0.0.1:80/",
            lambda code, page: (code, page + "\n") == (0, IT_WORKS),
        )
        # Same interfaces, same address, same MAC, same hostname: one network namespace.
        view = "ip -o addr show; ip -o link show; hostname"
        owner_view = sh(owner, view)
        sidecar_view = sh(sidecar, view)
        assert owner_view[0] == 0 and owner_view == sidecar_view
        mac = owner.attrs["NetworkSettings"]["MacAddress"]
        address = owner.attrs["NetworkSettings"]["IPAddress"]
        assert mac and f"link/ether {mac}" in sidecar_view[1]
        assert address and f"inet {address}/" in sidecar_view[1]
        assert sidecar.attrs["HostConfig"]["NetworkMode"] == f"container:{owner.id}"
