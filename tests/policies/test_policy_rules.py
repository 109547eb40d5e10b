"""Every rule: the compliant stack passes, and each one-field change gives exactly its message.

Each case runs twice: `validate` called directly, and the pack's process asked as the offline
gate asks it (`Analyze` for every resource, `AnalyzeStack` once) with the rule's config and
level.
"""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import POLICIES
from tests.pack_client import PackClient
from tests.policies.engine_value_cases import ENGINE_VALUE_CASES
from tests.policies.hygiene_cases import HYGIENE_CASES
from tests.policies.policy_cases import (
    BY_NAME,
    Case,
    compliant_stack,
    drop_field,
    level_name,
    mutated,
    named,
    run_direct,
    set_field,
)
from tests.policies.security_cases import BIND_ADDRESS, SECURITY_CASES
from tests.policies.value_cases import VALUE_CASES

STATIC_PREDEFINED = "docker-container-disallow-static-ip-on-predefined-network"
ALIAS_PREDEFINED = "docker-container-disallow-alias-on-predefined-network"
VALID_ATTACHMENTS = "docker-container-enforce-valid-network-attachments"
VALID_NAME = "docker-container-enforce-valid-name"
DUPLICATE_NAME = "docker-container-disallow-duplicate-name"
VALID_ALIAS = "docker-container-enforce-valid-alias"
OVERLAP = "docker-network-disallow-overlapping-subnets"
ALLOWED_SUBNETS = "docker-network-enforce-allowed-subnets"
VALID_IPAM = "docker-network-enforce-valid-ipam-config"
DUPLICATE_NETWORK = "docker-network-disallow-duplicate-name"
IGNORED_IP = "docker-network-disallow-ignored-ip-settings"
NEEDS_SUBNET = "docker-container-require-subnet-for-static-ip"
IN_SUBNET = "docker-container-enforce-static-ip-in-subnet"
TAKEN_DYNAMICALLY = "docker-container-disallow-static-ip-taken-dynamically"
IN_RANGE = "docker-container-disallow-static-ip-in-ip-range"
INTERNAL_PORTS = "docker-container-disallow-ports-on-internal-network"
JOINED_OPTIONS = "docker-container-disallow-options-with-joined-network"
JOINED_IGNORED = "docker-container-disallow-ignored-options-with-joined-network"
JOIN_TARGET = "docker-container-require-running-join-target"
KEPT_RUNNING = "docker-container-require-kept-running-join-target"
JOIN_DEPENDENCY = "docker-container-require-dependency-on-join-target"
DNS_GROUP = "docker-dns-group-require-user-defined-network"
DNS_TRAP = "docker-container-require-shared-network-for-dns"
DUPLICATE_DNS = "docker-network-disallow-duplicate-dns-name"


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
        'of a non running container"); give "web1" a command that keeps running, and no start '
        "false."
    )


def _not_kept_running(problem: str) -> str:
    return (
        f'container "{{sidecar}}": joins the network namespace of "web1", which has {problem}; '
        'the engine starts "{sidecar}" while "web1" runs, but nothing brings "web1" back once it '
        "stops (after a host or engine restart it stays stopped), and the engine then refuses to "
        'start "{sidecar}" ("cannot join network of a non running container"); set mustRun true '
        'and restart "unless-stopped" (or "always") on "web1".'
    )


def _ipam(network: str, what: str, engine: str, fix: str) -> str:
    return f'network "{network}": {what}; the engine refuses the network with "{engine}"; {fix}.'


def _attachment(name: str, what: str, engine: str, fix: str) -> str:
    return f'container "{name}": {what}; the engine refuses it {engine}; {fix}.'


HOST_CONNECT = "container cannot be disconnected from host network or connected to host network"
NONE_CONNECT = (
    "container cannot be connected to multiple networks with one of the networks in private "
    "(none) mode"
)


def _trap(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} names "{token}" ({what}), but the two share no '
        "user-defined network, so the name does not resolve (the embedded DNS server answers "
        "only on user-defined networks); attach both to one user-defined network."
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
    Case(
        "ipv6-static-on-bridge",
        STATIC_PREDEFINED,
        "bbox3",
        set_field("networksAdvanced", [{"name": "bridge", "ipv6Address": "fd00:16::8"}]),
        ((_static_predefined("bbox3", "fd00:16::8", "bridge"), ""),),
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
    # host, none and default reached as network attachments.
    Case(
        "attached-to-host",
        VALID_ATTACHMENTS,
        "bbox3",
        set_field("networksAdvanced", [{"name": "host"}]),
        (
            (
                _attachment(
                    "bbox3",
                    'networksAdvanced names "host"',
                    f'at connect: "{HOST_CONNECT}"',
                    "drop it; a container reaches the host's network only through network mode "
                    '"host"',
                ),
                "",
            ),
        ),
    ),
    Case(
        "attached-to-default",
        VALID_ATTACHMENTS,
        "bbox3",
        set_field("networksAdvanced", [{"name": "default"}]),
        (
            (
                _attachment(
                    "bbox3",
                    'networksAdvanced names "default"',
                    'at start: "network default not found"',
                    'name "bridge" for the default bridge, or a user-defined network',
                ),
                "",
            ),
        ),
    ),
    Case(
        "attached-to-none-and-another",
        VALID_ATTACHMENTS,
        "web-web1",
        set_field("networksAdvanced", [{"name": "my_net2", "aliases": ["www"]}, {"name": "none"}]),
        (
            (
                _attachment(
                    "web1",
                    'networksAdvanced names "none" beside ["my_net2"]',
                    f'at connect: "{NONE_CONNECT}"',
                    'a container on "none" has no other network; drop "none", or the others',
                ),
                "",
            ),
        ),
    ),
    Case(
        "attached-to-none-alone",
        VALID_ATTACHMENTS,
        "bbox3",
        set_field("networksAdvanced", [{"name": "none"}]),
        (),  # accepted: the container has no network, as network mode none gives
    ),
    Case(
        "host-mode-with-networks",
        VALID_ATTACHMENTS,
        "web-web1",
        set_field("networkMode", "host"),
        (
            (
                _attachment(
                    "web1",
                    'network mode "host" together with networksAdvanced ["my_net2"]',
                    'at connect: "container sharing network namespace with another container or '
                    'host cannot be connected to any other network"',
                    "a container on the host's network joins no other network; drop them, or use "
                    "a user-defined network instead of host",
                ),
                "",
            ),
        ),
    ),
    Case(
        "none-mode-with-networks",
        VALID_ATTACHMENTS,
        "web-web1",
        set_field("networkMode", "none"),
        (
            (
                _attachment(
                    "web1",
                    'network mode "none" together with networksAdvanced ["my_net2"]',
                    f'at connect: "{NONE_CONNECT}"',
                    'drop network mode "none", or the networks',
                ),
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
            (
                'network "my_net2": subnet "fd00:16::/64" is outside the allowed ranges '
                "10.0.0.0/8 (policy config allowedSubnets); pick a subnet inside them, or "
                "extend allowedSubnets.",
                "",
            ),
        ),
        config={"allowedSubnets": ["10.0.0.0/8"]},
    ),
    # The IPAM config the engine refuses at network create.
    *[
        Case(
            f"ipam-{case_id}",
            VALID_IPAM,
            network,
            set_field(path, value),
            tuple((_ipam(network.removesuffix("-network"), *m), "") for m in messages),
        )
        for case_id, network, path, value, messages in [
            (
                "subnet-not-cidr",
                "backend-network",
                "ipamConfigs.0.subnet",
                "172.22.17.0/33",
                [
                    (
                        'ipamConfigs[0].subnet "172.22.17.0/33" is not a CIDR subnet',
                        "Invalid subnet 172.22.17.0/33 : invalid CIDR address: 172.22.17.0/33",
                        "write it as address/prefix, e.g. 172.22.16.0/24",
                    )
                ],
            ),
            (
                "subnet-without-prefix",
                "backend-network",
                "ipamConfigs.0.subnet",
                "172.22.17.0",
                [
                    (
                        'ipamConfigs[0].subnet "172.22.17.0" is not a CIDR subnet',
                        "Invalid subnet 172.22.17.0 : invalid CIDR address: 172.22.17.0",
                        "write it as address/prefix, e.g. 172.22.16.0/24",
                    )
                ],
            ),
            (
                "no-subnet",
                "backend-network",
                "ipamConfigs.0",
                {"gateway": "172.22.17.1"},
                [
                    (
                        "ipamConfigs[0] has no subnet",
                        "Invalid subnet  : invalid CIDR address: ",
                        "give every ipamConfigs entry a subnet, e.g. 172.22.16.0/24",
                    )
                ],
            ),
            (
                "gateway-outside-subnet",
                "my_net2-network",
                "ipamConfigs.0.gateway",
                "172.22.99.1",
                [
                    (
                        'ipamConfigs[0].gateway "172.22.99.1" is outside subnet 172.22.16.0/24',
                        "failed to allocate gateway (172.22.99.1): Requested address is out of "
                        "range",
                        "give a host address of 172.22.16.0/24",
                    )
                ],
            ),
            (
                "gateway-is-network-address",
                "my_net2-network",
                "ipamConfigs.0.gateway",
                "172.22.16.0",
                [
                    (
                        'ipamConfigs[0].gateway "172.22.16.0" is the network address of '
                        "172.22.16.0/24",
                        "failed to allocate gateway (172.22.16.0): Address already in use",
                        "give a host address of 172.22.16.0/24",
                    )
                ],
            ),
            (
                "gateway-is-broadcast-address",
                "my_net2-network",
                "ipamConfigs.0.gateway",
                "172.22.16.255",
                [
                    (
                        'ipamConfigs[0].gateway "172.22.16.255" is the broadcast address of '
                        "172.22.16.0/24",
                        "failed to allocate gateway (172.22.16.255): Address already in use",
                        "give a host address of 172.22.16.0/24",
                    )
                ],
            ),
            (
                "gateway-not-an-address",
                "my_net2-network",
                "ipamConfigs.0.gateway",
                "router",
                [
                    (
                        'ipamConfigs[0].gateway "router" is not an IP address',
                        "invalid gateway address router in Ipam configuration",
                        "give a host address of 172.22.16.0/24",
                    )
                ],
            ),
            (
                "ipv6-gateway-outside-subnet",
                "my_net2-network",
                "ipamConfigs.1.gateway",
                "fd00:17::1",
                [
                    (
                        'ipamConfigs[1].gateway "fd00:17::1" is outside subnet fd00:16::/64',
                        "failed to allocate gateway (fd00:17::1): Requested address is out of "
                        "range",
                        "give a host address of fd00:16::/64",
                    )
                ],
            ),
            (
                "ip-range-not-cidr",
                "my_net2-network",
                "ipamConfigs.0.ipRange",
                "172.22.16.128",
                [
                    (
                        'ipamConfigs[0].ipRange "172.22.16.128" is not a CIDR range',
                        'failed to parse pool request for address space "LocalDefault" pool '
                        '"172.22.16.0/24" subpool "172.22.16.128": Invalid Address SubPool',
                        "write it as address/prefix inside 172.22.16.0/24",
                    )
                ],
            ),
            (
                "ip-range-of-another-version",
                "my_net2-network",
                "ipamConfigs.0.ipRange",
                "fd00:16::/80",
                [
                    (
                        'ipamConfigs[0].ipRange "fd00:16::/80" is not of the IP version of subnet '
                        "172.22.16.0/24",
                        'failed to parse pool request for address space "LocalDefault" pool '
                        '"172.22.16.0/24" subpool "fd00:16::/80": failed to compute range\'s '
                        "lowest ip address",
                        "give an ipRange inside 172.22.16.0/24",
                    )
                ],
            ),
            (
                "aux-outside-subnet",
                "my_net2-network",
                "ipamConfigs.0.auxAddress",
                {"router": "172.22.99.5"},
                [
                    (
                        'ipamConfigs[0].auxAddress "router" ("172.22.99.5") is outside subnet '
                        "172.22.16.0/24",
                        "auxiliary address: (router:172.22.99.5) must belong to the master pool: "
                        "172.22.16.0/24",
                        "give an address inside 172.22.16.0/24",
                    )
                ],
            ),
            (
                "aux-not-an-address",
                "my_net2-network",
                "ipamConfigs.0.auxAddress",
                {"router": "gw"},
                [
                    (
                        'ipamConfigs[0].auxAddress "router" ("gw") is not an IP address',
                        "non parsable secondary ip address (router:gw) passed for network my_net2",
                        "give a host address of 172.22.16.0/24",
                    )
                ],
            ),
            (
                "aux-is-the-gateway",
                "my_net2-network",
                "ipamConfigs.0.auxAddress",
                {"router": "172.22.16.1"},
                [
                    (
                        'ipamConfigs[0].auxAddress "router" ("172.22.16.1") is the gateway',
                        "failed to allocate secondary ip address (router:172.22.16.1): Address "
                        "already in use",
                        "give each aux address a host address of 172.22.16.0/24 of its own, not "
                        "the gateway",
                    )
                ],
            ),
            (
                "aux-is-the-implicit-gateway",
                "my_net2-network",
                "ipamConfigs.0",
                {
                    "subnet": "172.22.16.0/24",
                    "ipRange": "172.22.16.128/25",
                    "auxAddress": {"router": "172.22.16.128"},
                },
                [
                    (
                        'ipamConfigs[0].auxAddress "router" ("172.22.16.128") is the gateway',
                        "failed to allocate secondary ip address (router:172.22.16.128): Address "
                        "already in use",
                        "give each aux address a host address of 172.22.16.0/24 of its own, not "
                        "the gateway",
                    )
                ],
            ),
            (
                "aux-is-the-broadcast-address",
                "my_net2-network",
                "ipamConfigs.0.auxAddress",
                {"router": "172.22.16.255"},
                [
                    (
                        'ipamConfigs[0].auxAddress "router" ("172.22.16.255") is the broadcast '
                        "address of 172.22.16.0/24",
                        "failed to allocate secondary ip address (router:172.22.16.255): Address "
                        "already in use",
                        "give each aux address a host address of 172.22.16.0/24 of its own, not "
                        "the gateway",
                    )
                ],
            ),
            (
                "aux-twice",
                "my_net2-network",
                "ipamConfigs.0.auxAddress",
                {"router": "172.22.16.5", "spare": "172.22.16.5"},
                [
                    (
                        'ipamConfigs[0].auxAddress "spare" ("172.22.16.5") is auxAddress "router"',
                        "failed to allocate secondary ip address (spare:172.22.16.5): Address "
                        "already in use",
                        "give each aux address a host address of 172.22.16.0/24 of its own, not "
                        "the gateway",
                    )
                ],
            ),
            (
                "two-ipv4-subnets",
                "backend-network",
                "ipamConfigs",
                [
                    {"subnet": "172.22.17.0/24", "gateway": "172.22.17.1"},
                    {"subnet": "172.22.18.0/24"},
                ],
                [
                    (
                        "ipamConfigs has 2 IPv4 subnets (172.22.17.0/24, 172.22.18.0/24)",
                        "bridge driver doesn't support multiple subnets",
                        "give a bridge network one IPv4 subnet",
                    )
                ],
            ),
            (
                "ipv6-without-ipv6-subnet",
                "backend-network",
                "ipv6",
                True,
                [
                    (
                        "ipv6 is true but ipamConfigs has no IPv6 subnet",
                        "could not find an available, non-overlapping IPv6 address pool among "
                        "the defaults to assign to the network",
                        "add an ipamConfigs entry with an IPv6 subnet, e.g. fd00:16::/64",
                    )
                ],
            ),
            # Accepted: an IPv6 entry on a network without ipv6 is ignored, whatever it says
            # (docker-network-disallow-ignored-ip-settings warns).
            (
                "ignored-ipv6-entry",
                "backend-network",
                "ipamConfigs",
                [
                    {"subnet": "172.22.17.0/24", "gateway": "172.22.17.1"},
                    {"subnet": "fd00:17::/64", "gateway": "nope"},
                ],
                [],
            ),
            ("another-ipam-driver", "my_net2-network", "ipamDriver", "infoblox", []),
        ]
    ],
    # One network name for two networks.
    Case(
        "two-networks-one-name",
        DUPLICATE_NETWORK,
        "backend-network",
        set_field("name", "my_net2"),
        (
            (
                'network "my_net2": name "my_net2" is already used by network resource '
                '"backend-network"; the engine refuses the second with "network with name my_net2 '
                'already exists"; give every network of the stack its own name.',
                "my_net2-network",
            ),
        ),
    ),
    Case(
        "network-named-host",
        DUPLICATE_NETWORK,
        "backend-network",
        set_field("name", "host"),
        (
            (
                'network "host": name "host" is the name of a network the engine defines itself; '
                'the engine refuses it with "operation is not permitted on predefined host '
                'network"; give the network another name.',
                "backend-network",
            ),
        ),
    ),
    # Settings the engine accepts and ignores.
    Case(
        "ip-range-outside-subnet",
        "docker-network-enforce-valid-ipam-config",
        "my_net2-network",
        set_field("ipamConfigs.0.ipRange", "172.22.99.128/25"),
        (
            (
                'network "my_net2": ipamConfigs[0].ipRange "172.22.99.128/25" is not inside its '
                "subnet 172.22.16.0/24; engines from 25 refuse the network with \"subnet doesn't "
                'contain ip-range 172.22.99.128/25", and engine 20.10 accepts it and hands out '
                "dynamic addresses from 172.22.16.128 to 172.22.16.255 instead; give an ipRange "
                "inside 172.22.16.0/24.",
                "",
            ),
        ),
    ),
    Case(
        "ip-range-bigger-than-subnet",
        "docker-network-enforce-valid-ipam-config",
        "my_net2-network",
        set_field("ipamConfigs.0.ipRange", "172.22.0.0/16"),
        (
            (
                'network "my_net2": ipamConfigs[0].ipRange "172.22.0.0/16" is not inside its '
                'subnet 172.22.16.0/24; engines from 25 refuse the network with "ip-range '
                '172.22.0.0/16 is bigger than its associated subnet", and engine 20.10 accepts it '
                "and hands out dynamic addresses from 172.22.16.0 to 172.22.16.255 instead; give "
                "an ipRange inside 172.22.16.0/24.",
                "",
            ),
        ),
    ),
    Case(
        "ip-range-outside-subnet-is-not-ignored-silently",
        IGNORED_IP,
        "my_net2-network",
        set_field("ipamConfigs.0.ipRange", "172.22.99.128/25"),
        (),
    ),
    Case(
        "ipv6-off",
        IGNORED_IP,
        "my_net2-network",
        set_field("ipv6", False),
        (
            (
                'network "my_net2": ipamConfigs[1].subnet "fd00:16::/64" is an IPv6 subnet, but '
                "ipv6 is not true; the engine accepts it and ignores it, so no container gets an "
                "IPv6 address on this network; set ipv6 true on the network, or drop the IPv6 "
                "subnet.",
                "my_net2-network",
            ),
            (
                'container "bbox3": IPv6 address "fd00:16::8" on network "my_net2", which does '
                "not have ipv6 true; the engine accepts it and ignores it, so the container has "
                'no IPv6 address there; set ipv6 true on network "my_net2".',
                "bbox3",
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
            (
                'container "bbox3": static IPv6 address "fd00:16::8" on network "my_net2", which '
                'has no configured IPv6 subnet; the engine refuses it with "user specified IP '
                "address is supported only when connecting to networks with user configured "
                'subnets"; give network "my_net2" an IPv6 ipamConfigs subnet that contains the '
                "address, and ipv6 true.",
                "bbox3",
            ),
        ),
    ),
    Case(
        "ipv4-on-ipv6-only-network",
        NEEDS_SUBNET,
        "my_net2-network",
        set_field("ipamConfigs", [{"subnet": "fd00:16::/64"}]),
        (
            (
                'container "bbox3": static address "172.22.16.8" on network "my_net2", which has '
                'no configured IPv4 subnet; the engine refuses it with "user specified IP address '
                'is supported only when connecting to networks with user configured subnets"; '
                'give network "my_net2" an IPv4 ipamConfigs subnet that contains the address.',
                "bbox3",
            ),
        ),
    ),
    Case(
        "ipv6-on-ipv4-only-network",
        NEEDS_SUBNET,
        "data-db",
        set_field("networksAdvanced.0.ipv6Address", "fd00:17::20"),
        (
            (
                'container "db": static IPv6 address "fd00:17::20" on network "backend", which '
                'has no configured IPv6 subnet; the engine refuses it with "user specified IP '
                "address is supported only when connecting to networks with user configured "
                'subnets"; give network "backend" an IPv6 ipamConfigs subnet that contains the '
                "address, and ipv6 true.",
                "data-db",
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
        "aux-address",
        IN_SUBNET,
        "my_net2-network",
        set_field("ipamConfigs.0.auxAddress", {"router": "172.22.16.8"}),
        (
            (
                'container "bbox3": static address "172.22.16.8" on network "my_net2" is the aux '
                'address "router" of network "my_net2"; the engine refuses it with "Address '
                'already in use"; pick a host address of 172.22.16.0/24 that is not the gateway '
                "or an aux address.",
                "bbox3",
            ),
        ),
    ),
    Case(
        "ipv6-outside-subnet",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv6Address", "fd00:99::8"),
        (
            (
                'container "bbox3": static IPv6 address "fd00:99::8" on network "my_net2" is '
                'outside its subnet fd00:16::/64; the engine refuses it with "Invalid address '
                "fd00:99::8: It does not belong to any of this network's subnets\"; pick an "
                "address inside fd00:16::/64.",
                "bbox3",
            ),
        ),
    ),
    Case(
        "ipv6-implicit-gateway",
        IN_SUBNET,
        "bbox3",
        set_field("networksAdvanced.0.ipv6Address", "fd00:16::1"),
        (
            (
                'container "bbox3": static IPv6 address "fd00:16::1" on network "my_net2" is the '
                'gateway the engine gives network "my_net2" (the first address of '
                'fd00:16::/64); the engine refuses it with "Address already in use"; pick a host '
                "address of fd00:16::/64 that is not the gateway.",
                "bbox3",
            ),
        ),
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
    # 12. Static address the engine may hand out dynamically first.
    Case(
        "inside-ip-range",
        IN_RANGE,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.130"),
        (
            (
                'container "bbox3": static address "172.22.16.130" on network "my_net2" lies in '
                "ipRange 172.22.16.128/25, whose lowest free addresses the engine gives to the 3 "
                "containers there without a static address; with 2 free addresses below it, one "
                "of them gets it if it starts first (Pulumi creates containers in parallel, and a "
                "host restart starts them in any order), and the engine then refuses this "
                'container with "Address already in use"; pick an address outside '
                "172.22.16.128/25.",
                "bbox3",
            ),
        ),
    ),
    Case(
        "above-the-dynamic-containers-in-ip-range",
        IN_RANGE,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.131"),
        (),  # three dynamic containers take .128 to .130 at most
    ),
    Case(
        "no-ip-range",
        IN_RANGE,
        "data-db",
        set_field("networksAdvanced.0.ipv4Address", "172.22.17.2"),
        (
            (
                'container "db": static address "172.22.17.2" on network "backend" lies in its '
                "subnet 172.22.17.0/24 (without an ipRange every address of it is dynamic), whose "
                "lowest free addresses the engine gives to the 1 container there without a static "
                "address; with 0 free addresses below it, one of them gets it if it starts first "
                "(Pulumi creates containers in parallel, and a host restart starts them in any "
                'order), and the engine then refuses this container with "Address already in '
                'use"; give network "backend" an ipRange for dynamic addresses and pick a static '
                "address outside it.",
                "data-db",
            ),
        ),
    ),
    Case(
        "no-ip-range-above-the-dynamic-containers",
        IN_RANGE,
        "data-db",
        set_field("networksAdvanced.0.ipv4Address", "172.22.17.3"),
        (),  # the one dynamic container there takes .2
    ),
    Case(
        "in-misapplied-ip-range",
        IN_RANGE,
        "backend-network",
        set_field("ipamConfigs.0.ipRange", "10.9.9.20/30"),
        (
            (
                'container "db": static address "172.22.17.20" on network "backend" lies in its '
                "ipRange as the engine applies it (172.22.17.20 to 172.22.17.23), whose lowest "
                "free addresses the engine gives to the 1 container there without a static "
                "address; with 0 free addresses below it, one of them gets it if it starts first "
                "(Pulumi creates containers in parallel, and a host restart starts them in any "
                'order), and the engine then refuses this container with "Address already in '
                'use"; pick an address outside 172.22.17.20 to 172.22.17.23.',
                "data-db",
            ),
        ),
    ),
    Case(
        "taken-by-a-container-it-depends-on",
        TAKEN_DYNAMICALLY,
        "bbox3",
        set_field("networksAdvanced.0.ipv4Address", "172.22.16.128"),
        (
            (
                'container "bbox3": static address "172.22.16.128" on network "my_net2" goes to a '
                "container without a static address first: this container depends on 1 container "
                'without one there ("bbox1"), which start before it and get the lowest free '
                "addresses of ipRange 172.22.16.128/25, this one among them; the engine then "
                'refuses this container with "Address already in use"; pick an address outside '
                "172.22.16.128/25.",
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
    Case(
        "joined-networks",
        JOINED_IGNORED,
        "web-web1-shell",
        set_field("networksAdvanced", [{"name": "my_net2", "macAddress": "02:42:ac:16:10:09"}]),
        ((_ignored('networksAdvanced ["my_net2"]'), ""),),
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
            ("never-started", set_field("start", False), "start false, so it is never started"),
            (
                "command-ends-at-once",
                set_field("command", ["sh", "-c", "echo ready"]),
                'the command ["sh", "-c", "echo ready"], which ends as soon as it starts',
            ),
            (
                "shell-image-without-command",
                set_field("image", "busybox:1.36"),
                'no command, so the image "busybox:1.36" runs its shell, which ends as soon as it '
                "starts without a terminal",
            ),
        )
    ],
    Case("owner-shell-image-with-a-terminal", JOIN_TARGET, "web-web1", set_field("tty", True), ()),
    Case(
        "owner-restart-no-that-runs",
        JOIN_TARGET,
        "web-web1",
        set_field("restart", "no"),
        (),  # the source note's `docker run -d --name=web1 httpd`: it works
    ),
    *[
        Case(
            f"owner-{case_id}",
            KEPT_RUNNING,
            "web-web1",
            change,
            (  # in URN order, as every stack rule reports
                (
                    _not_kept_running(problem).format(sidecar="web1-monitor"),
                    "web-web1-monitor",
                ),
                (_not_kept_running(problem).format(sidecar="web1-shell"), "web-web1-shell"),
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
    Case(
        "owner-restart-always",
        KEPT_RUNNING,
        "web-web1",
        set_field("restart", "always"),
        (),
    ),
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
        "trap-host-option",
        DNS_TRAP,
        "data-db",
        set_field("healthcheck.tests", ["CMD", "pg_isready", "-h", "bbox1", "-U", "postgres"]),
        ((_trap("db", "healthcheck", "bbox1", 'container "bbox1"'), "data-db"),),
    ),
    Case(
        "trap-shell-script",
        DNS_TRAP,
        "data-api",
        set_field("command", ["sh", "-c", "until nc -z bbox1 80; do sleep 1; done; exec whoami"]),
        ((_trap("api", "command", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    # Option values and program names are not container names.
    Case(
        "option-value-beside-a-container-named-like-it",
        DNS_TRAP,
        "bboxes-bbox1",
        set_field("name", "postgres"),
        (),  # db's `pg_isready -U postgres` and POSTGRES_USER=postgres name a user
    ),
    Case(
        "program-beside-a-container-named-like-it",
        DNS_TRAP,
        "bboxes-bbox1",
        set_field("name", "sh"),
        (),  # api's `sh -c ...` runs a program
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
        # One alias for two containers is the embedded DNS server's round-robin.
        "same-alias-twice",
        DUPLICATE_DNS,
        "bboxes-bbox2",
        set_field("networksAdvanced.0.aliases", ["box1"]),
        (),
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
]


ALL_CASES = [*CASES, *SECURITY_CASES, *ENGINE_VALUE_CASES, *HYGIENE_CASES, *VALUE_CASES]


def _urn_of(case: Case, name: str) -> str:
    return named(case.resources(), name).urn if name else ""


def test_every_policy_has_failing_cases() -> None:
    from tests.policies.test_policy_swarm import CASES as SWARM_CASES

    covered = {case.policy for case in [*ALL_CASES, *SWARM_CASES] if case.expected}
    assert covered == {p.name for p in POLICIES}


def test_compliant_stack_passes_every_rule_directly() -> None:
    for policy in POLICIES:
        result = run_direct(policy, compliant_stack())
        assert result.violations == [], policy.name
        assert result.not_applicable == [], policy.name


def test_compliant_stack_passes_the_pack(pack: PackClient) -> None:
    resources = compliant_stack()
    verdict = pack.analyze_all(resources)
    assert verdict.findings == ()
    assert verdict.not_applicable == ()


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_rule_directly(case: Case) -> None:
    result = run_direct(BY_NAME[case.policy], case.resources(), case.config)
    expected = [(message, _urn_of(case, name)) for message, name in case.expected]
    assert result.violations == expected
    assert result.not_applicable == []


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_rule_through_the_pack(pack: PackClient, case: Case) -> None:
    config: dict[str, Any] = {case.policy: dict(case.config)} if case.config else {}
    verdict = pack.analyze_all(case.resources(), config=config)
    found = [(f.message, f.urn, f.level) for f in verdict.findings if f.policy == case.policy]
    level = level_name(BY_NAME[case.policy])
    assert found == [(m, _urn_of(case, n), level) for m, n in case.expected]
    assert verdict.cant_run == ()


@pytest.mark.parametrize("level", ["advisory", "mandatory", "disabled"])
def test_enforcement_level_is_configurable(pack: PackClient, level: str) -> None:
    case = next(c for c in CASES if c.id == "outside-subnet")
    verdict = pack.analyze_all(case.resources(), config={IN_SUBNET: level})
    found = [f.level for f in verdict.findings if f.policy == IN_SUBNET]
    assert found == ([] if level == "disabled" else [level])


def test_level_and_settings_configure_together(pack: PackClient) -> None:
    case = next(c for c in ALL_CASES if c.id == "port-on-all-interfaces")
    config = {BIND_ADDRESS: {"enforcementLevel": "mandatory", "allowedBindAddresses": ["::1"]}}
    verdict = pack.analyze_all(case.resources(), config=config)
    found = [(f.level, f.message) for f in verdict.findings if f.policy == BIND_ADDRESS]
    assert found == [
        (
            "mandatory",
            'container "web1": port 80 is published on 0.0.0.0 (all host interfaces: what Docker '
            "and compose do with a port that names no address); bind it to an allowed address "
            "(::1) with the port's ip, or list the address in this policy's allowedBindAddresses "
            "config.",
        )
    ]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("172.22.16.1", []),
        (
            "172.22.16.128",
            [
                'container "bbox3": static address "172.22.16.128" on network "my_net2" is the '
                'gateway the engine gives network "my_net2" (the first address of its ipRange '
                '172.22.16.128/25); the engine refuses it with "Address already in use"; pick a '
                "host address of 172.22.16.0/24 that is not the gateway."
            ],
        ),
    ],
)
def test_without_a_gateway_the_engine_takes_the_first_address_of_ip_range(
    address: str, expected: list[str]
) -> None:
    """Seen on engine 20.10: subnet /24 with ipRange .192/26 and no gateway gets gateway .192;
    a static .1 then runs."""
    stack = mutated(
        compliant_stack(),
        "my_net2-network",
        set_field("ipamConfigs.0", {"subnet": "172.22.16.0/24", "ipRange": "172.22.16.128/25"}),
    )
    stack = mutated(stack, "bbox3", set_field("networksAdvanced.0.ipv4Address", address))
    result = run_direct(BY_NAME[IN_SUBNET], stack)
    assert [message for message, _ in result.violations] == expected
    assert result.not_applicable == []
