"""Every rule: the compliant stack passes, and each one-field change gives exactly its message.

Each case runs twice: `validate` called directly, and the pack's own analyzer servicer
(`Analyze` for every resource, `AnalyzeStack` once) with the rule's config and level.
"""

from __future__ import annotations

from typing import Any

import pytest

from policies.analyzer import build_analyzer
from policies.rules import POLICIES
from tests.policies.policy_cases import (
    BY_NAME,
    Case,
    compliant_stack,
    drop_field,
    level_name,
    named,
    run_direct,
    set_field,
)

STATIC_PREDEFINED = "docker-container-disallow-static-ip-on-predefined-network"
ALIAS_PREDEFINED = "docker-container-disallow-alias-on-predefined-network"
VALID_NAME = "docker-container-enforce-valid-name"
DUPLICATE_NAME = "docker-container-disallow-duplicate-name"
VALID_ALIAS = "docker-container-enforce-valid-alias"
OVERLAP = "docker-network-disallow-overlapping-subnets"
ALLOWED_SUBNETS = "docker-network-enforce-allowed-subnets"
NEEDS_SUBNET = "docker-container-require-subnet-for-static-ip"
IN_SUBNET = "docker-container-enforce-static-ip-in-subnet"
IN_RANGE = "docker-container-disallow-static-ip-in-ip-range"
INTERNAL_PORTS = "docker-container-disallow-ports-on-internal-network"
JOINED_OPTIONS = "docker-container-disallow-options-with-joined-network"
JOINED_IGNORED = "docker-container-disallow-ignored-options-with-joined-network"
JOIN_TARGET = "docker-container-require-running-join-target"
JOIN_DEPENDENCY = "docker-container-require-dependency-on-join-target"
DNS_GROUP = "docker-dns-group-require-user-defined-network"
DNS_TRAP = "docker-container-require-shared-network-for-dns"
DUPLICATE_DNS = "docker-network-disallow-duplicate-dns-name"
HOST_NETWORK = "docker-container-disallow-host-network"
PRIVILEGED = "docker-container-disallow-privileged"
SOCKET = "docker-container-disallow-docker-socket-mount"
CAPABILITIES = "docker-container-enforce-allowed-capabilities"
BIND_ADDRESS = "docker-container-enforce-port-bind-address"


def _static_predefined(name: str, address: str, network: str) -> str:
    return (
        f'container "{name}": static address "{address}" on the predefined network "{network}"; '
        'the engine refuses it with "user specified IP address is supported on user defined '
        'networks only"; attach the container to a user-defined network with a configured '
        "subnet and give the address there."
    )


def _joined(name: str, what: str, engine: str) -> str:
    return (
        f'container "{name}": network mode "container:web1" together with {what}; the engine '
        f'refuses it with "{engine}"; move it to "web1", whose network namespace this container '
        "shares."
    )


def _ignored(what: str) -> str:
    return (
        f'container "web1-shell": network mode "container:web1" together with {what}; the engine '
        'accepts it and silently ignores it; move it to "web1", whose network namespace this '
        "container shares."
    )


def _in_subnet(address: str, problem: str) -> str:
    return (
        f'container "bbox3": static address "{address}" on network "my_net2" is {problem}; the '
        'engine refuses it with "Address already in use"; pick a host address of '
        "172.22.16.0/24 that is not the gateway."
    )


def _not_running(problem: str) -> str:
    return (
        f'container "{{sidecar}}": joins the network namespace of "web1", which has {problem}; '
        'the engine refuses to start a container that joins a stopped one ("cannot join network '
        'of a non running container"); set mustRun true and restart "unless-stopped" (or '
        '"always") on "web1".'
    )


def _trap(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} names "{token}" ({what}), but the two share no '
        "user-defined network, so the name does not resolve (the embedded DNS server answers "
        "only on user-defined networks); attach both to one user-defined network."
    )


def _capability(name: str, capability: str, allowed: str = "none") -> str:
    return (
        f'container "{name}": capabilities.adds has "{capability}", which is not allowed '
        f"(allowed here: {allowed}); drop it, or list it in this policy's allowedCapabilities "
        "config."
    )


def _socket(key: str, path: str) -> str:
    return (
        f'container "bbox1": {key} mounts "{path}", which exposes the Docker socket and so gives '
        "the container control of the engine and the host; remove the mount."
    )


PORTS_ENGINE = "conflicting options: port publishing and the container type network mode"

CASES = [
    # 1. Static address on a predefined network.
    Case(
        "static-on-bridge",
        STATIC_PREDEFINED,
        "bbox3",
        set_field("networksAdvanced.0.name", "bridge"),
        ((_static_predefined("bbox3", "172.22.16.8", "bridge"), ""),),
    ),
    Case(
        "static-on-host",
        STATIC_PREDEFINED,
        "bbox3",
        set_field("networksAdvanced.0.name", "host"),
        ((_static_predefined("bbox3", "172.22.16.8", "host"), ""),),
    ),
    # 4. Aliases on a predefined network.
    Case(
        "alias-on-bridge",
        ALIAS_PREDEFINED,
        "bboxes-bbox1",
        set_field("networksAdvanced.0.name", "default"),
        (
            (
                'container "bbox1": aliases ["box1"] on the predefined network "default"; the '
                'engine refuses them with "network-scoped aliases are only supported for '
                'user-defined networks"; give aliases only on a user-defined network.',
                "",
            ),
        ),
    ),
    # 6. Invalid or duplicate container names.
    Case(
        "one-character-name",
        VALID_NAME,
        "bboxes-bbox1",
        set_field("name", "a"),
        (
            (
                'container "a": name "a" is not a valid container name; the engine refuses it '
                'with "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"; '
                "use two or more characters of [a-zA-Z0-9_.-], starting with a letter or digit.",
                "",
            ),
        ),
    ),
    Case(
        "name-with-space",
        VALID_NAME,
        "bboxes-bbox1",
        set_field("name", "my box"),
        (
            (
                'container "my box": name "my box" is not a valid container name; the engine '
                'refuses it with "Invalid container name (my box), only [a-zA-Z0-9][a-zA-Z0-9_.-] '
                'are allowed"; use two or more characters of [a-zA-Z0-9_.-], starting with a '
                "letter or digit.",
                "",
            ),
        ),
    ),
    Case(
        "duplicate-name",
        DUPLICATE_NAME,
        "bboxes-bbox2",
        set_field("name", "bbox1"),
        (
            (
                'container "bbox1": name "bbox1" is already used by container resource '
                '"bboxes-bbox1"; the engine refuses the second with "Conflict. The container '
                'name "/bbox1" is already in use by container ..."; give every container of the '
                "stack its own name.",
                "bboxes-bbox2",
            ),
        ),
    ),
    # 14. Aliases that are not DNS names.
    Case(
        "alias-with-underscore",
        VALID_ALIAS,
        "bboxes-bbox1",
        set_field("networksAdvanced.0.aliases", ["box_1"]),
        (
            (
                'container "bbox1": alias "box_1" on network "my_net2" is not a valid DNS name, '
                "so lookups of it can fail; use dot-separated labels of 1 to 63 letters, digits "
                "and hyphens, not starting or ending with a hyphen.",
                "",
            ),
        ),
    ),
    # 7. Overlapping subnets.
    Case(
        "overlapping-subnets",
        OVERLAP,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "172.22.16.0/25"),
        (
            (
                'network "backend": subnet "172.22.16.0/25" overlaps subnet "172.22.16.0/24" of '
                'network "my_net2"; the engine refuses the network created second with "Pool '
                'overlaps with other one on this address space"; give each network a subnet of '
                "its own.",
                "backend-network",
            ),
        ),
    ),
    Case(
        "subnet-overlaps-default-bridge",
        OVERLAP,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "172.17.3.0/24"),
        (
            (
                'network "backend": subnet "172.17.3.0/24" overlaps 172.17.0.0/16, which is '
                "already in use on the Docker host (policy config hostSubnets); the engine "
                'refuses it with "Pool overlaps with other one on this address space"; pick a '
                "subnet outside 172.17.0.0/16.",
                "backend-network",
            ),
        ),
    ),
    Case(
        "subnet-overlaps-configured-host-subnet",
        OVERLAP,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "10.1.0.0/24"),
        (
            (
                'network "backend": subnet "10.1.0.0/24" overlaps 10.0.0.0/8, which is already '
                "in use on the Docker host (policy config hostSubnets); the engine refuses it "
                'with "Pool overlaps with other one on this address space"; pick a subnet '
                "outside 10.0.0.0/8.",
                "backend-network",
            ),
        ),
        config={"hostSubnets": ["10.0.0.0/8"]},
    ),
    # Allowed subnets (config).
    Case(
        "public-subnet",
        ALLOWED_SUBNETS,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "8.8.8.0/24"),
        (
            (
                'network "backend": subnet "8.8.8.0/24" is outside the allowed ranges '
                "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7 (policy config "
                "allowedSubnets); pick a subnet inside them, or extend allowedSubnets.",
                "",
            ),
        ),
    ),
    Case(
        "subnet-outside-configured-ranges",
        ALLOWED_SUBNETS,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "10.30.1.0/24"),
        (
            (
                'network "my_net2": subnet "172.22.16.0/24" is outside the allowed ranges '
                "10.0.0.0/8 (policy config allowedSubnets); pick a subnet inside them, or "
                "extend allowedSubnets.",
                "",
            ),
        ),
        config={"allowedSubnets": ["10.0.0.0/8"]},
    ),
    Case(
        "invalid-cidr",
        ALLOWED_SUBNETS,
        "backend-network",
        set_field("ipamConfigs.0.subnet", "172.22.17.0/33"),
        (
            (
                'network "backend": subnet "172.22.17.0/33" is not a valid CIDR subnet; the '
                "engine refuses the network; write it as address/prefix, e.g. 172.22.16.0/24.",
                "",
            ),
        ),
    ),
    # 2. Static address on a network without a subnet.
    Case(
        "no-subnet",
        NEEDS_SUBNET,
        "my_net2-network",
        set_field("ipamConfigs", []),
        (
            (
                'container "bbox3": static address "172.22.16.8" on network "my_net2", which has '
                'no configured subnet; the engine refuses it with "user specified IP address is '
                'supported only when connecting to networks with user configured subnets"; give '
                'network "my_net2" an ipamConfigs subnet that contains the address.',
                "bbox3",
            ),
        ),
    ),
    # 3. Static address outside the subnet, reserved, or taken.
    Case(
        "outside-subnet",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "10.9.9.9"),
        (
            (
                'container "bbox3": static address "10.9.9.9" on network "my_net2" is outside '
                'its subnet 172.22.16.0/24; the engine refuses it with "Invalid address 10.9.9.9: '
                "It does not belong to any of this network's subnets\"; pick an address inside "
                "172.22.16.0/24.",
                "bbox3",
            ),
        ),
    ),
    Case(
        "gateway-address",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.1"),
        ((_in_subnet("172.22.16.1", 'the gateway of network "my_net2"'), "bbox3"),),
    ),
    Case(
        "network-address",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.0"),
        ((_in_subnet("172.22.16.0", "the network address of 172.22.16.0/24"), "bbox3"),),
    ),
    Case(
        "broadcast-address",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.255"),
        ((_in_subnet("172.22.16.255", "the broadcast address of 172.22.16.0/24"), "bbox3"),),
    ),
    Case(
        "implicit-gateway",
        IN_SUBNET,
        "my_net2-network",
        set_field("ipamConfigs.0", {"subnet": "172.22.16.0/24", "ipRange": "172.22.16.128/25"}),
        (),  # .8 stays valid once the engine picks the gateway itself
    ),
    Case(
        "address-taken",
        IN_SUBNET,
        "bboxes-bbox2",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.8"),
        (
            (
                'container "bbox2": static address "172.22.16.8" on network "my_net2" is already '
                'given to container "bbox3"; the engine refuses the second with "Address already '
                'in use"; give each container its own address.',
                "bboxes-bbox2",
            ),
        ),
    ),
    Case(
        "not-an-address",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.300"),
        (
            (
                'container "bbox3": static address "172.22.16.300" on network "my_net2" is not a '
                "valid IPv4 address; the engine refuses it; write four dotted decimal numbers, "
                "e.g. 172.22.16.10.",
                "bbox3",
            ),
        ),
    ),
    # 12. Static address inside the dynamic pool.
    Case(
        "inside-ip-range",
        IN_RANGE,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.130"),
        (
            (
                'container "bbox3": static address "172.22.16.130" on network "my_net2" is inside '
                "its ipRange 172.22.16.128/25, the pool the engine hands out to containers "
                'without a static address, so one started earlier can hold it ("Address already '
                'in use"); pick an address outside 172.22.16.128/25.',
                "bbox3",
            ),
        ),
    ),
    # 15. Published ports on an internal-only container.
    Case(
        "ports-on-internal",
        INTERNAL_PORTS,
        "data-db",
        set_field("ports", [{"internal": 5432.0, "external": 5432.0, "ip": "127.0.0.1"}]),
        (
            (
                'container "db": publishes ports [5432] but is attached only to internal '
                'networks ["backend"]; the engine accepts the ports and silently publishes '
                "nothing, since an internal network has no way out; attach the container to a "
                "non-internal network as well, or drop the ports.",
                "data-db",
            ),
        ),
    ),
    # 5. container:<x> mode with options the engine refuses.
    Case(
        "joined-ports",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("ports", [{"internal": 8000.0, "external": 8000.0}]),
        ((_joined("web1-shell", "ports [8000]", PORTS_ENGINE), ""),),
    ),
    Case(
        "joined-publish-all",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("publishAllPorts", True),
        ((_joined("web1-shell", "publishAllPorts true", PORTS_ENGINE), ""),),
    ),
    Case(
        "joined-hostname",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("hostname", "shell"),
        (
            (
                _joined(
                    "web1-shell",
                    'hostname "shell"',
                    "conflicting options: hostname and the network mode",
                ),
                "",
            ),
        ),
    ),
    Case(
        "joined-dns",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("dns", ["1.1.1.1"]),
        (
            (
                _joined(
                    "web1-shell", 'dns ["1.1.1.1"]', "conflicting options: dns and the network mode"
                ),
                "",
            ),
        ),
    ),
    Case(
        "joined-hosts",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("hosts", [{"host": "db", "ip": "172.22.17.20"}]),
        (
            (
                _joined(
                    "web1-shell",
                    'hosts ["db"]',
                    "conflicting options: custom host-to-IP mapping and the network mode",
                ),
                "",
            ),
        ),
    ),
    Case(
        "joined-networks",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("networksAdvanced", [{"name": "my_net2", "macAddress": "02:42:ac:16:10:09"}]),
        (
            (
                _joined(
                    "web1-shell",
                    'networksAdvanced ["my_net2"]',
                    "container sharing network namespace with another container or host cannot "
                    "be connected to any other network",
                ),
                "",
            ),
        ),
    ),
    Case(
        "joined-nothing",
        JOINED_OPTIONS,
        "web-web1-shell",
        set_field("networkMode", "container:"),
        (
            (
                'container "web1-shell": network mode "container:" names no container; the '
                'engine refuses it with "Invalid network mode: invalid container format '
                'container:<name|id>"; write container:<name of the container to join>.',
                "",
            ),
        ),
    ),
    # 10. container:<x> mode with options the engine ignores.
    Case(
        "joined-domainname",
        JOINED_IGNORED,
        "web-web1-shell",
        set_field("domainname", "example.org"),
        ((_ignored('domainname "example.org"'), ""),),
    ),
    Case(
        "joined-dns-searches",
        JOINED_IGNORED,
        "web-web1-shell",
        set_field("dnsSearches", ["example.org"]),
        ((_ignored('dnsSearches ["example.org"]'), ""),),
    ),
    Case(
        "joined-dns-opts",
        JOINED_IGNORED,
        "web-web1-shell",
        set_field("dnsOpts", ["ndots:2"]),
        ((_ignored('dnsOpts ["ndots:2"]'), ""),),
    ),
    # 8. container:<x> where x is missing or not kept running.
    Case(
        "join-ghost",
        JOIN_TARGET,
        "web-web1-shell",
        set_field("networkMode", "container:ghost"),
        (
            (
                'container "web1-shell": network mode "container:ghost" names no container of '
                "this stack; the engine creates the container and then fails to start it; name a "
                'container of the stack, or list "ghost" in this policy\'s externalContainers '
                "config if it runs outside the stack.",
                "web-web1-shell",
            ),
        ),
    ),
    Case(
        "join-external",
        JOIN_TARGET,
        "web-web1-shell",
        set_field("networkMode", "container:ghost"),
        (),
        config={"externalContainers": ["ghost"]},
    ),
    *[
        Case(
            f"owner-{case_id}",
            JOIN_TARGET,
            "web-web1",
            change,
            (  # in URN order, as every stack rule reports
                (_not_running(problem).format(sidecar="web1-monitor"), "web-web1-monitor"),
                (_not_running(problem).format(sidecar="web1-shell"), "web-web1-shell"),
            ),
        )
        for case_id, change, problem in (
            ("must-run-false", set_field("mustRun", False), "mustRun false"),
            ("restart-no", set_field("restart", "no"), 'restart "no"'),
            (
                "no-restart",
                drop_field("restart"),
                'no restart policy (the provider\'s default is "no")',
            ),
        )
    ],
    # 11. A sidecar that does not depend on its owner.
    Case(
        "no-dependency",
        JOIN_DEPENDENCY,
        "web-web1-shell",
        lambda props: None,
        (
            (
                'container "web1-shell": joins the network namespace of "web1" but does not '
                'depend on its container resource "web-web1", so Pulumi may create it first and '
                'the engine then refuses to start it ("cannot join network of a non running '
                'container"); add that resource to depends_on, or build network_mode from its '
                "name output.",
                "web-web1-shell",
            ),
        ),
        dependencies=(),
    ),
    # 9. DNS needs a user-defined network.
    Case(
        "dns-group-on-bridge",
        DNS_GROUP,
        "bboxes",
        set_field("network", "bridge"),
        (
            (
                'DNS group "bboxes": network "bridge" is predefined, and the engine\'s embedded '
                "DNS server does not answer there, so member names do not resolve; put the group "
                "on a user-defined network.",
                "",
            ),
        ),
    ),
    Case(
        "trap-ping-by-name",
        DNS_TRAP,
        "bboxes-bbox1",
        set_field("networksAdvanced.0.name", "other_net"),
        (
            (_trap("bbox2", "command", "bbox1", 'container "bbox1"'), "bboxes-bbox2"),
            (
                _trap(
                    "bbox2",
                    "healthcheck",
                    "box1",
                    'an alias of container "bbox1" on network "other_net"',
                ),
                "bboxes-bbox2",
            ),
            (_trap("web1-shell", "env UPSTREAM", "bbox1", 'container "bbox1"'), "web-web1-shell"),
        ),
    ),
    Case(
        "trap-env-on-default-bridge",
        DNS_TRAP,
        "data-db",
        set_field("networksAdvanced", []),
        ((_trap("api", "env DB_HOST", "db", 'container "db"'), "data-api"),),
    ),
    Case(
        "trap-sidecar-owner-on-default-bridge",
        DNS_TRAP,
        "web-web1",
        set_field("networksAdvanced", []),
        ((_trap("web1-shell", "env UPSTREAM", "bbox1", 'container "bbox1"'), "web-web1-shell"),),
    ),
    # 13. One DNS name for two containers on a network.
    Case(
        "same-alias-twice",
        DUPLICATE_DNS,
        "bboxes-bbox2",
        set_field("networksAdvanced.0.aliases", ["box1"]),
        (
            (
                'container "bbox2": DNS name "box1" on network "my_net2" is also a name of '
                'container "bbox1", so lookups of it answer with either container; give each '
                "container its own names on a network.",
                "bboxes-bbox2",
            ),
        ),
    ),
    Case(
        "alias-is-another-name",
        DUPLICATE_DNS,
        "bboxes-bbox2",
        set_field("networksAdvanced.0.aliases", ["bbox1"]),
        (
            (
                'container "bbox2": DNS name "bbox1" on network "my_net2" is also a name of '
                'container "bbox1", so lookups of it answer with either container; give each '
                "container its own names on a network.",
                "bboxes-bbox2",
            ),
        ),
    ),
    # Security.
    Case(
        "host-network",
        HOST_NETWORK,
        "bboxes-bbox1",
        set_field("networkMode", "host"),
        (
            (
                'container "bbox1": network mode "host" shares the Docker host\'s network stack '
                "with the container; attach it to a user-defined network and publish only the "
                "ports it needs.",
                "",
            ),
        ),
    ),
    Case(
        "privileged",
        PRIVILEGED,
        "bboxes-bbox1",
        set_field("privileged", True),
        (
            (
                'container "bbox1": privileged true gives the container every capability and all '
                "host devices; set privileged false and add only the capabilities it needs.",
                "",
            ),
        ),
    ),
    Case(
        "socket-volume",
        SOCKET,
        "bboxes-bbox1",
        set_field(
            "volumes",
            [{"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"}],
        ),
        ((_socket("volumes", "/var/run/docker.sock"), ""),),
    ),
    Case(
        "socket-mount",
        SOCKET,
        "bboxes-bbox1",
        set_field("mounts", [{"source": "/run/", "target": "/host-run", "type": "bind"}]),
        ((_socket("mounts", "/run/"), ""),),
    ),
    Case(
        "capability-outside-allowlist",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["SYS_ADMIN"]}),
        ((_capability("bbox1", "SYS_ADMIN"), ""),),
    ),
    Case(
        "capability-in-allowlist",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["CAP_SYS_ADMIN"]}),
        (),
        config={"allowedCapabilities": ["sys_admin"]},
    ),
    Case(
        "monitor-capabilities-without-monitor-label",
        CAPABILITIES,
        "web-web1-monitor",
        set_field("labels", []),
        (
            (_capability("web1-monitor", "NET_ADMIN"), ""),
            (_capability("web1-monitor", "NET_RAW"), ""),
        ),
    ),
    Case(
        "port-on-all-interfaces",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0.ip", "0.0.0.0"),
        (
            (
                'container "web1": port 80 is published on 0.0.0.0 (all host interfaces); bind '
                "it to an allowed address (127.0.0.1, ::1) with the port's ip, or list the "
                "address in this policy's allowedBindAddresses config.",
                "",
            ),
        ),
    ),
    Case(
        "port-without-ip",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0", {"internal": 80.0, "external": 8080.0}),
        (
            (
                'container "web1": port 80 is published on 0.0.0.0 (all host interfaces); bind '
                "it to an allowed address (127.0.0.1, ::1) with the port's ip, or list the "
                "address in this policy's allowedBindAddresses config.",
                "",
            ),
        ),
    ),
    Case(
        "port-on-configured-address",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0.ip", "0.0.0.0"),
        (),
        config={"allowedBindAddresses": ["0.0.0.0"]},
    ),
]


def _urn_of(case: Case, name: str) -> str:
    return named(case.resources(), name).urn if name else ""


def test_every_policy_has_failing_cases() -> None:
    from tests.policies.test_policy_swarm import CASES as SWARM_CASES

    covered = {case.policy for case in [*CASES, *SWARM_CASES] if case.expected}
    assert covered == {p.name for p in POLICIES}


def test_compliant_stack_passes_every_rule_directly() -> None:
    for policy in POLICIES:
        result = run_direct(policy, compliant_stack())
        assert result.violations == [], policy.name
        assert result.not_applicable == [], policy.name


def test_compliant_stack_passes_the_analyzer() -> None:
    resources = compliant_stack()
    verdict = build_analyzer().analyze_all(resources)
    assert verdict.findings == ()
    assert verdict.not_applicable == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_directly(case: Case) -> None:
    result = run_direct(BY_NAME[case.policy], case.resources(), case.config)
    expected = [(message, _urn_of(case, name)) for message, name in case.expected]
    assert result.violations == expected
    assert result.not_applicable == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_through_the_analyzer(case: Case) -> None:
    config: dict[str, Any] = {case.policy: dict(case.config)} if case.config else {}
    verdict = build_analyzer(config).analyze_all(case.resources())
    found = [(f.message, f.urn, f.level) for f in verdict.findings if f.policy == case.policy]
    level = level_name(BY_NAME[case.policy])
    assert found == [(m, _urn_of(case, n), level) for m, n in case.expected]
    assert verdict.cant_run == ()


@pytest.mark.parametrize("level", ["advisory", "mandatory", "disabled"])
def test_enforcement_level_is_configurable(level: str) -> None:
    case = next(c for c in CASES if c.id == "outside-subnet")
    verdict = build_analyzer({IN_SUBNET: level}).analyze_all(case.resources())
    found = [f.level for f in verdict.findings if f.policy == IN_SUBNET]
    assert found == ([] if level == "disabled" else [level])


def test_level_and_settings_configure_together() -> None:
    case = next(c for c in CASES if c.id == "port-on-all-interfaces")
    config = {BIND_ADDRESS: {"enforcementLevel": "mandatory", "allowedBindAddresses": ["::1"]}}
    verdict = build_analyzer(config).analyze_all(case.resources())
    found = [(f.level, f.message) for f in verdict.findings if f.policy == BIND_ADDRESS]
    assert found == [
        (
            "mandatory",
            'container "web1": port 80 is published on 0.0.0.0 (all host interfaces); bind it to '
            "an allowed address (::1) with the port's ip, or list the address in this policy's "
            "allowedBindAddresses config.",
        )
    ]
