"""Every way a `topology` config value can be wrong, with the exact message it gets.

Each case starts from one valid topology and changes one value, and is refused before any
resource is registered.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.topology import TopologyError, load_topology, load_topology_source
from plan import ProgramError


def valid() -> dict[str, Any]:
    return {
        "networks": {"my_net2": {"subnet": "172.22.16.0/24"}},
        "dns_groups": {
            "bboxes": {
                "network": "my_net2",
                "members": {
                    "bbox1": {"image": "busybox:1.36", "aliases": ["box1"]},
                    "bbox2": {"image": "busybox:1.36"},
                },
            }
        },
        "containers": {
            "bbox3": {"image": "busybox:1.36", "network": "my_net2", "ipv4_address": "172.22.16.8"}
        },
        "joined_groups": {
            "web": {
                "owner": {"name": "web1", "image": "httpd:2.4", "loopback_ports": [80]},
                "sidecars": {"probe": {"image": "busybox:1.36"}},
            }
        },
    }


def changed(path: str, value: Any) -> dict[str, Any]:
    """`valid()` with the value at a dotted `path` set (or removed when value is DELETE)."""
    topology = valid()
    *parents, last = path.split(".")
    node: Any = topology
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return topology


DELETE = object()


def message(topology: Any) -> str:
    with pytest.raises(TopologyError) as caught:
        load_topology(topology)
    return str(caught.value)


def test_valid_topology_loads():
    loaded = load_topology(valid())
    assert loaded.containers["bbox3"].ipv4_address == "172.22.16.8"
    assert loaded.dns_groups["bboxes"].members["bbox1"].aliases == ("box1",)


CASES = [
    # structure
    (
        "networks.my_net2.subnet",
        "172.22.16.0/33",
        'topology.networks.my_net2.subnet: "172.22.16.0/33" is not a valid IPv4 network',
    ),
    (
        "networks.my_net2.subnet",
        "172.22.16.1/24",
        'topology.networks.my_net2.subnet: "172.22.16.1/24" has host bits set; the network is '
        '"172.22.16.0/24"',
    ),
    (
        "networks.my_net2.subnet",
        "172.22.16.0",
        'topology.networks.my_net2.subnet: "172.22.16.0" has no prefix length; write it as CIDR, '
        'e.g. "172.22.16.0/24"',
    ),
    (
        "networks.my_net2.subnett",
        "172.22.16.0/24",
        "topology.networks.my_net2.subnett: is not a known key; expected one of: subnet, "
        "network_name, gateway, ip_range, aux_addresses, internal, labels, ipv6_subnet, "
        "ipv6_gateway, driver_opts, ipam_driver, attachable, encrypted, driver, external",
    ),
    (
        "networks.my_net2.subnet",
        DELETE,
        'topology.containers.bbox3.ipv4_address: network "my_net2" has no configured subnet, '
        "and the engine gives static addresses only on networks with one; give the network a "
        "subnet",
    ),
    (
        "networks.my_net2.internal",
        "sometimes",
        'topology.networks.my_net2.internal: expected true or false, got "sometimes"',
    ),
    (
        "networks.my_net2.gateway",
        "172.22.17.1",
        'topology.networks.my_net2.gateway: "172.22.17.1" is outside the subnet 172.22.16.0/24',
    ),
    (
        "networks.my_net2.ip_range",
        "172.22.0.0/16",
        'topology.networks.my_net2.ip_range: "172.22.0.0/16" is not inside the subnet '
        "172.22.16.0/24",
    ),
    (
        "networks.my_net2.aux_addresses",
        {"router": "172.22.16.1"},
        'topology.networks.my_net2.aux_addresses.router: "172.22.16.1" is the gateway',
    ),
    (
        "networks.my_net2.ipv6_subnet",
        "fd00::1/64",
        'topology.networks.my_net2.ipv6_subnet: "fd00::1/64" is not a valid IPv6 network',
    ),
    (
        "networks.bridge",
        {"subnet": "10.9.0.0/24"},
        'topology.networks.bridge: "bridge" is a network the engine predefines; choose another '
        "name",
    ),
    (
        "networks.other",
        {"subnet": "172.22.16.128/25"},
        "topology.networks.other.subnet: 172.22.16.128/25 overlaps 172.22.16.0/24 of network "
        '"my_net2"; the engine refuses overlapping pools, so choose a disjoint subnet',
    ),
    (
        "networks.other",
        {"subnet": "10.1.0.0/24", "network_name": "my_net2"},
        'topology.networks.other.network_name: "my_net2" is also the engine name of '
        "topology.networks.my_net2; network names are unique",
    ),
    (
        "dns_groups.bboxes.members.bbox1.image",
        3,
        "topology.dns_groups.bboxes.members.bbox1.image: expected a string, got 3",
    ),
    (
        "dns_groups.bboxes.members.bbox1.command",
        "sleep 60",
        'topology.dns_groups.bboxes.members.bbox1.command: expected a list, got "sleep 60"',
    ),
    (
        "dns_groups.bboxes.members.bbox1.restart",
        "sometimes",
        "topology.dns_groups.bboxes.members.bbox1.restart: expected one of 'no', 'on-failure', "
        "'always' or 'unless-stopped', got \"sometimes\"",
    ),
    (
        "dns_groups.bboxes.members.bbox1.ports",
        [{"internal": "http"}],
        "topology.dns_groups.bboxes.members.bbox1.ports[0].internal: expected a whole number, "
        'got "http"',
    ),
    (
        "dns_groups.bboxes.members.bbox1.ports",
        [{"internal": 80, "publish": True}],
        "topology.dns_groups.bboxes.members.bbox1.ports[0].publish: is not a known key; expected "
        "one of: internal, external, host_ip, protocol, mode",
    ),
    (
        "dns_groups.bboxes.members.bbox1.ports",
        [{"internal": 70000}],
        "topology.dns_groups.bboxes.members.bbox1.ports[0].internal: 70000 is not a port (1-65535)",
    ),
    (
        "dns_groups.bboxes.members",
        {},
        "topology.dns_groups.bboxes.members: is empty; a DNS group needs at least one container",
    ),
    (
        "dns_groups.bboxes.members.bbox1.image",
        "  ",
        "topology.dns_groups.bboxes.members.bbox1.image: is empty; name an image such as "
        "busybox:1.36",
    ),
    # meaning
    (
        "dns_groups.bboxes.network",
        "my_net3",
        'topology.dns_groups.bboxes.network: "my_net3" is not a network of this topology; '
        "networks: my_net2",
    ),
    (
        "dns_groups.bboxes.network",
        "bridge",
        'topology.dns_groups.bboxes.network: "bridge" is a predefined network, where container '
        "names do not resolve (Docker's embedded DNS server answers only on user-defined "
        "networks); attach the group to a UserDefinedNetwork",
    ),
    (
        "dns_groups.bboxes.members.b",
        {"image": "busybox"},
        'topology.dns_groups.bboxes.members.b: "b" is not a valid container name: the engine '
        "wants two or more characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
    (
        "dns_groups.bboxes.members.web1",
        {"image": "busybox"},
        'topology.joined_groups.web.owner.name: container name "web1" is already used at '
        "topology.dns_groups.bboxes.members.web1; names are unique on an engine",
    ),
    (
        "dns_groups.bboxes.members.bbox1.aliases",
        ["bad_alias!"],
        'topology.dns_groups.bboxes.members.bbox1.aliases[0]: "bad_alias!" is not a valid DNS '
        "name: use labels of letters, digits and hyphens, 1-63 characters each, separated by "
        "dots",
    ),
    (
        "dns_groups.bboxes.members.bbox2.aliases",
        ["box1"],
        'topology.dns_groups.bboxes.members.bbox2.aliases[0]: "box1" already resolves to "bbox1" '
        'on "my_net2"',
    ),
    (
        "dns_groups.bboxes.members.bbox1.ipv4_address",
        "172.22.16.8",
        'topology.containers.bbox3.ipv4_address: "172.22.16.8" is already taken by container '
        '"bbox1"',
    ),
    (
        "containers.bbox3.ipv4_address",
        "10.9.9.9",
        'topology.containers.bbox3.ipv4_address: "10.9.9.9" is outside the subnet 172.22.16.0/24',
    ),
    (
        "containers.bbox3.ipv4_address",
        "172.22.16.1",
        'topology.containers.bbox3.ipv4_address: "172.22.16.1" is the gateway of 172.22.16.0/24',
    ),
    (
        "containers.bbox3.ipv4_address",
        "not-an-ip",
        'topology.containers.bbox3.ipv4_address: "not-an-ip" is not a valid IPv4 address',
    ),
    (
        "containers.bbox3.network",
        "bridge",
        'topology.containers.bbox3.ipv4_address: network "bridge" is predefined, and static '
        "addresses work only on user-defined networks with a configured subnet; attach to a "
        "UserDefinedNetwork",
    ),
    (
        "containers.b",
        {"image": "busybox", "network": "my_net2"},
        'topology.containers.b: "b" is not a valid container name: the engine wants two or more '
        "characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
    (
        "joined_groups.web.owner.name",
        "w",
        'topology.joined_groups.web.owner.name: "w" is not a valid container name: the engine '
        "wants two or more characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
    (
        "joined_groups.web.owner.name",
        DELETE,
        "topology.joined_groups.web.owner.name: is required but missing",
    ),
    (
        "joined_groups.web.owner.networks",
        [{"network": "nowhere"}],
        'topology.joined_groups.web.owner.networks[0].network: "nowhere" is not a network of '
        "this topology; networks: my_net2",
    ),
    (
        "joined_groups.web.owner.networks",
        [{"network": "bridge", "aliases": ["www"]}],
        'topology.joined_groups.web.owner.networks[0].aliases: network "bridge" is predefined, '
        "and aliases work only on user-defined networks; attach to a UserDefinedNetwork",
    ),
    (
        "joined_groups.web.owner.loopback_ports",
        [0],
        "topology.joined_groups.web.owner.loopback_ports[0]: 0 is not a port (1-65535)",
    ),
    (
        "joined_groups.web.sidecars.probe.ports",
        [{"internal": 80}],
        "topology.joined_groups.web.sidecars.probe.ports: a container sharing another's network "
        'namespace cannot publish ports; publish them on the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.probe.hostname",
        "probe",
        "topology.joined_groups.web.sidecars.probe.hostname: a container sharing another's "
        'network namespace has the owner\'s hostname; set hostname on the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.probe.dns",
        ["10.0.0.2"],
        "topology.joined_groups.web.sidecars.probe.dns: a container sharing another's network "
        'namespace uses the owner\'s DNS servers; set dns on the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.probe.extra_hosts",
        {"db": "10.0.0.3"},
        "topology.joined_groups.web.sidecars.probe.extra_hosts: a container sharing another's "
        'network namespace shares the owner\'s /etc/hosts; set extra_hosts on the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.probe.aliases",
        ["probe"],
        "topology.joined_groups.web.sidecars.probe.aliases: a container sharing another's network "
        'namespace has no network aliases of its own; give the aliases to the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.probe.networks",
        ["my_net2"],
        "topology.joined_groups.web.sidecars.probe.networks: a container sharing another's "
        'network namespace cannot join networks of its own; attach the owner "web1" to them',
    ),
    (
        "joined_groups.web.sidecars.probe.ipv4_address",
        "172.22.16.9",
        "topology.joined_groups.web.sidecars.probe.ipv4_address: a container sharing another's "
        'network namespace has the owner\'s address; pin the address on the owner "web1"',
    ),
    (
        "joined_groups.web.sidecars.web1",
        {"image": "busybox"},
        'topology.joined_groups.web.sidecars.web1: container name "web1" is already used at '
        "topology.joined_groups.web.owner.name; names are unique on an engine",
    ),
    ("pull_images", "yes please", 'topology.pull_images: expected true or false, got "yes please"'),
    (
        "zones",
        {},
        "topology.zones: is not a known key; expected one of: target, networks, volumes, "
        "secrets, configs, services, dns_groups, joined_groups, containers, pull_images, "
        "application",
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_value_gets_one_message_naming_its_key(path, value, expected):
    assert message(changed(path, value)) == expected


def test_topology_that_is_not_a_map():
    assert message(["networks"]) == 'topology: expected a map of keys to values, got ["networks"]'


def test_missing_topology_says_where_to_set_it():
    assert message(None) == (
        "topology: is not set; give the stack a `container-comms:topology` value, or a "
        "`container-comms:topologyFile` naming a YAML file, in stacks/Pulumi.<stack>.yaml"
    )


def test_auto_addresses_are_handed_out_after_explicit_ones():
    topology = changed("containers.bbox3.ipv4_address", "auto")
    topology["dns_groups"]["bboxes"]["members"]["bbox1"]["ipv4_address"] = "172.22.16.254"
    loaded = load_topology(topology)
    assert loaded.containers["bbox3"].ipv4_address == "172.22.16.253"


def test_auto_address_respects_ip_range():
    topology = changed("containers.bbox3.ipv4_address", "auto")
    topology["networks"]["my_net2"]["ip_range"] = "172.22.16.0/25"
    assert load_topology(topology).containers["bbox3"].ipv4_address == "172.22.16.128"


def test_full_subnet_is_reported():
    topology = changed("networks.my_net2.subnet", "172.22.16.0/30")
    topology["containers"]["bbox3"]["ipv4_address"] = "auto"
    topology["containers"]["bbox4"] = {"image": "x", "network": "my_net2", "ipv4_address": "auto"}
    assert message(topology) == (
        "topology.containers.bbox4.ipv4_address: 172.22.16.0/30 has no free address left for "
        'container "bbox4"'
    )


def test_program_refuses_bad_config_before_registering_anything(recorder):
    with pytest.raises(ProgramError) as caught:
        recorder.topology(changed("networks.my_net2.subnet", "172.22.16.0/33"))
    assert str(caught.value) == (
        'topology.networks.my_net2.subnet: "172.22.16.0/33" is not a valid IPv4 network'
    )


def test_every_problem_is_reported_once_each():
    topology = changed("networks.my_net2.subnet", "nope")
    topology["zones"] = {}
    assert message(topology).splitlines() == [
        "topology.zones: is not a known key; expected one of: target, networks, volumes, "
        "secrets, configs, services, dns_groups, joined_groups, containers, pull_images, "
        "application",
    ]


def test_topology_from_a_file_named_in_config(tmp_path):
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(valid()), encoding="utf-8")
    loaded = load_topology_source(None, "big.yaml", tmp_path)
    assert loaded == load_topology(valid())


def test_topology_file_problems_name_the_file(tmp_path):
    (tmp_path / "big.yaml").write_text(
        "networks:\n  my_net2:\n    subnet: 172.22.16.0/33\n", encoding="utf-8"
    )
    with pytest.raises(TopologyError) as caught:
        load_topology_source(None, "big.yaml", tmp_path)
    assert str(caught.value) == (
        'big.yaml: topology.networks.my_net2.subnet: "172.22.16.0/33" is not a valid IPv4 network'
    )


def test_malformed_topology_file_names_its_line(tmp_path):
    (tmp_path / "big.yaml").write_text("networks:\n  my_net2: [a\n  b: 1\n", encoding="utf-8")
    with pytest.raises(TopologyError) as caught:
        load_topology_source(None, "big.yaml", tmp_path)
    assert str(caught.value) == "big.yaml:3: malformed YAML: did not find expected ',' or ']'"


def test_missing_topology_file_is_named(tmp_path):
    with pytest.raises(TopologyError) as caught:
        load_topology_source(None, "nowhere.yaml", tmp_path)
    assert str(caught.value) == (
        f'topologyFile: "nowhere.yaml" cannot be read (No such file or directory); name a file '
        f"under {tmp_path}"
    )


def test_topology_and_topology_file_together_are_refused(tmp_path):
    with pytest.raises(TopologyError) as caught:
        load_topology_source(valid(), "big.yaml", tmp_path)
    assert str(caught.value) == (
        "topologyFile: is set together with topology; give the topology in one place"
    )
