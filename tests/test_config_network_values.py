"""Network values the engine parses are refused in config, at the key that holds them, matched
whole (a trailing newline or a zone never passes); compose's `ipc: service:x` reaches the
engine as the IPC namespace of x's container, never as written."""

from __future__ import annotations

from typing import Any

import pytest

from components.topology import TopologyError, load_topology
from components.topology.compose import ComposeMappingError, compose_topology
from tests.test_swarm import swarm_changed


def service(**fields: Any) -> dict[str, Any]:
    return {
        "networks": {"front": {"subnet": "172.30.1.0/24"}},
        "services": {"web": {"image": "busybox:1.36", "networks": {"front": {}}, **fields}},
    }


def refusal(topology: dict[str, Any]) -> str:
    with pytest.raises(TopologyError) as caught:
        load_topology(topology)
    return str(caught.value)


NOT_AN_ADDRESS = "is not an IP address (or host-gateway; an IPv6 address takes no %zone)"

CASES = [
    (
        "extra host with a zone",
        service(extra_hosts={"db": "fe80::1%eth0"}),
        f'topology.services.web.extra_hosts.db: "fe80::1%eth0" {NOT_AN_ADDRESS}',
    ),
    (
        "extra host with a trailing newline",
        service(extra_hosts={"db": "172.30.1.5\n"}),
        f'topology.services.web.extra_hosts.db: "172.30.1.5\\n" {NOT_AN_ADDRESS}',
    ),
    (
        "dns server with a trailing newline",
        service(dns=["172.30.1.53\n"]),
        'topology.services.web.dns[0]: "172.30.1.53\\n" is not an IP address',
    ),
    (
        "ipc mode unknown",
        service(ipc_mode="bogus"),
        'topology.services.web.ipc_mode: "bogus" is not an IPC mode; the engine refuses to start '
        'the container with "Invalid IPC mode"; write private, shareable, none, host or '
        "container:<name>",
    ),
    (
        "ipc mode of compose",
        service(ipc_mode="service:db"),
        'topology.services.web.ipc_mode: "service:db" is not an IPC mode; the engine refuses to '
        'start the container with "Invalid IPC mode"; write private, shareable, none, host or '
        "container:<name>",
    ),
]


@pytest.mark.parametrize(("what", "topology", "expected"), CASES, ids=[c[0] for c in CASES])
def test_network_value_is_refused_in_config(what: str, topology: Any, expected: str) -> None:
    del what
    assert refusal(topology) == expected


def test_link_local_dns_server_with_its_zone_is_fine() -> None:
    assert load_topology(service(dns=["fe80::1%eth0"])).services["web"].dns == ("fe80::1%eth0",)


def test_one_host_port_spelled_twice_is_refused() -> None:
    topology = service(
        ports=[
            {"internal": 80, "external": 8080, "host_ip": "::1"},
            {"internal": 81, "external": 8080, "host_ip": "0:0:0:0:0:0:0:1"},
        ]
    )
    assert refusal(topology) == (
        "topology.services.web.ports[1]: host port 8080/tcp on 0:0:0:0:0:0:0:1 is already "
        "published on ::1 by topology.services.web.ports[0]; publish another host port"
    )


def _compose(ipc: str) -> dict[str, Any]:
    return {
        "name": "mail",
        "services": {
            "db": {"image": "busybox:1.36", "ipc": "shareable"},
            "web": {"image": "busybox:1.36", "ipc": ipc},
        },
    }


def test_compose_ipc_of_a_service_is_the_ipc_of_its_container() -> None:
    topology = compose_topology(_compose("service:db"), "compose.yaml")
    assert topology["services"]["web"]["ipc_mode"] == "container:mail-db-1"
    assert topology["services"]["db"]["ipc_mode"] == "shareable"


def test_compose_ipc_of_no_service_is_refused_at_its_key() -> None:
    with pytest.raises(ComposeMappingError) as caught:
        compose_topology(_compose("service:ghost"), "compose.yaml")
    assert str(caught.value) == (
        'compose.yaml: services.web.ipc: "ghost" is not another service of this file'
    )


SWARM_CASES = [
    (
        "services.web.container_name",
        "web\n",
        'topology.services.web.container_name: "web\\n" is not a valid service name: the swarm '
        "wants letters and digits, with - or _ between them (no dots)",
    ),
    (
        "services.web.deploy.replicas",
        2**63,
        "topology.services.web.deploy.replicas: 9223372036854775808 is above "
        "9223372036854775807, the most replicas the swarm takes",
    ),
    (
        "services.web.deploy.limits",
        {"memory": 5},
        "topology.services.web.deploy.limits.memory: 5 MiB is below the 6 MiB the engine needs "
        'for a task: the swarm creates the service and the engine rejects every task ("Minimum '
        'memory limit allowed is 6MB"); give 6 or more',
    ),
    (
        "services.web.deploy.constraints",
        ["node.role == manager\nnode.role == worker"],
        'topology.services.web.deploy.constraints[0]: "node.role == manager\\nnode.role == '
        'worker" is not a constraint; write <attribute> == <value> or <attribute> != <value>, '
        "e.g. node.role == manager",
    ),
    (
        "services.web.deploy.update",
        {"delay": "5s\n"},
        'topology.services.web.deploy.update.delay: "5s\\n" is not a duration; write it like '
        "10s, 1m30s or 500ms",
    ),
    (
        "services.web.ports",
        [{"internal": 80, "external": 8080, "host_ip": "0.0.0.0"}],
        "topology.services.web.ports[0]: published in ingress mode, which needs the service's "
        'virtual IP, but deploy.endpoint_mode is "dnsrr" (the engine refuses it: "port published '
        'with ingress mode can\'t be used with dnsrr mode"); publish it in mode "host", or use '
        'endpoint_mode "vip"',
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), SWARM_CASES, ids=[c[0] for c in SWARM_CASES]
)
def test_swarm_value_is_refused_in_config(path: str, value: Any, expected: str) -> None:
    assert refusal(swarm_changed(path, value)) == expected


def test_swarm_constraint_with_a_trailing_newline_loads() -> None:
    # The swarm trims it, and places the task (seen on the engine).
    loaded = load_topology(
        swarm_changed("services.web.deploy.constraints", ["node.role == manager\n"])
    )
    assert loaded.services["web"].deploy.constraints == ("node.role == manager\n",)


def test_swarm_memory_of_six_mib_loads() -> None:
    loaded = load_topology(swarm_changed("services.web.deploy.limits", {"memory": 6}))
    limits = loaded.services["web"].deploy.limits
    assert limits is not None and limits.memory == 6


MTU = "com.docker.network.driver.mtu"
BRIDGE = "com.docker.network.bridge.name"


def networks(**front: Any) -> dict[str, Any]:
    topology = service()
    topology["networks"]["front"].update(front)
    return topology


NETWORK_CASES = [
    (
        "mtu with a trailing newline",
        networks(driver_opts={MTU: "1450\n"}),
        f'topology.networks.front.driver_opts["{MTU}"]: "1450\\n" is not an MTU (a whole number '
        "of 0 or more, digits alone); the engine refuses the network",
    ),
    (
        "mtu negative",
        networks(driver_opts={MTU: "-5"}),
        f'topology.networks.front.driver_opts["{MTU}"]: "-5" is not an MTU (a whole number of 0 or '
        "more, digits alone); the engine refuses the network",
    ),
    (
        "ipv6 gateway with a zone",
        networks(ipv6_subnet="fd00:30::/64", ipv6_gateway="fd00:30::1%eth0"),
        'topology.networks.front.ipv6_gateway: "fd00:30::1%eth0" has a %zone, which the engine '
        "refuses in a network's addresses; remove it",
    ),
    (
        "ipv6 subnet with a zone",
        networks(ipv6_subnet="fd00:30::%eth0/64"),
        'topology.networks.front.ipv6_subnet: "fd00:30::%eth0/64" has a %zone, which the engine '
        "refuses in a network's addresses; remove it",
    ),
]


@pytest.mark.parametrize(
    ("what", "topology", "expected"), NETWORK_CASES, ids=[c[0] for c in NETWORK_CASES]
)
def test_network_setting_is_refused_in_config(what: str, topology: Any, expected: str) -> None:
    del what
    assert refusal(topology) == expected


def test_two_networks_on_one_bridge_are_refused() -> None:
    topology = networks(driver_opts={BRIDGE: "br-app"})
    topology["networks"]["back"] = {"subnet": "172.30.2.0/24", "driver_opts": {BRIDGE: "br-app"}}
    assert refusal(topology) == (
        f'topology.networks.back.driver_opts["{BRIDGE}"]: "br-app" is also the bridge of '
        "topology.networks.front; the engine refuses a second network on one bridge; give each "
        "its own bridge name"
    )


def test_mtu_in_digits_loads() -> None:
    assert load_topology(networks(driver_opts={MTU: "1450"})).networks["front"].driver_opts == {
        MTU: "1450"
    }
