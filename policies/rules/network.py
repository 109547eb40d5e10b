"""Network rules: subnets, static addresses, and internal networks."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    NETWORK,
    Unknown,
    config_strings,
    finish,
    flag,
    items,
    number,
    parse_address,
    parse_network,
    port_number,
    quoted,
    text,
    unwrap,
)
from ._stack import ContainerEntry, Ipam, NetworkEntry, StackIndex, Subnet

DEFAULT_HOST_SUBNETS = ["172.17.0.0/16"]
"""Subnets already in use on a stock Docker host: the default bridge's."""
DEFAULT_ALLOWED_SUBNETS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
"""Private address ranges (RFC 1918 and IPv6 unique local addresses)."""

_CIDR_LIST = {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class _Pool:
    subnet: Subnet
    network: NetworkEntry | None  # None: a host subnet from the rule's config
    text: str


def _overlapping_subnets(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    pools: list[_Pool] = []
    unknowns: list[str] = []
    for entry in config_strings(args, "hostSubnets", DEFAULT_HOST_SUBNETS):
        parsed = parse_network(entry)
        if parsed is not None:
            pools.append(_Pool(parsed, None, str(parsed)))
    for network in index.networks:
        if network.is_overlay is True:
            continue  # the swarm's address space; see the overlay subnet rule in swarm.py
        if network.ipams_unknown:
            unknowns.append(f'the ipamConfigs of network "{network.label}" are')
        for ipam in network.ipams:
            if isinstance(ipam.subnet_text, Unknown):
                unknowns.append(f'a subnet of network "{network.label}" is')
            elif ipam.subnet is not None and isinstance(ipam.subnet_text, str):
                pools.append(_Pool(ipam.subnet, network, ipam.subnet_text))
    pools.sort(key=lambda p: (p.subnet.version, int(p.subnet.network_address), p.subnet.prefixlen))
    reported: set[tuple[str, str]] = set()
    holder: _Pool | None = None
    for pool in pools:
        if (
            holder is not None
            and holder.subnet.version == pool.subnet.version
            and int(pool.subnet.network_address) <= int(holder.subnet.broadcast_address)
        ):
            _report_overlap(holder, pool, reported, report)
        if (
            holder is None
            or holder.subnet.version != pool.subnet.version
            or int(pool.subnet.broadcast_address) > int(holder.subnet.broadcast_address)
        ):
            holder = pool
    finish(args, unknowns)


def _report_overlap(
    first: _Pool, second: _Pool, reported: set[tuple[str, str]], report: ReportViolation
) -> None:
    if first.network is not None and second.network is not None:
        if first.network.urn == second.network.urn:
            return
        key = (second.network.urn, second.text)
        if key in reported:
            return
        reported.add(key)
        report(
            f'network "{second.network.label}": subnet "{second.text}" overlaps subnet '
            f'"{first.text}" of network "{first.network.label}"; the engine refuses the network '
            'created second with "Pool overlaps with other one on this address space"; give each '
            "network a subnet of its own.",
            second.network.urn,
        )
        return
    stack_pool, host_pool = (first, second) if first.network is not None else (second, first)
    if stack_pool.network is None:
        return
    key = (stack_pool.network.urn, stack_pool.text)
    if key in reported:
        return
    reported.add(key)
    report(
        f'network "{stack_pool.network.label}": subnet "{stack_pool.text}" overlaps '
        f"{host_pool.text}, which is already in use on the Docker host (policy config "
        'hostSubnets); the engine refuses it with "Pool overlaps with other one on this address '
        f'space"; pick a subnet outside {host_pool.text}.',
        stack_pool.network.urn,
    )


docker_network_disallow_overlapping_subnets = StackValidationPolicy(
    name="docker-network-disallow-overlapping-subnets",
    description=(
        "No two networks of a stack on one engine (overlays aside), nor such a network and a "
        "subnet already in use on the Docker host, have overlapping subnets."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "hostSubnets": {
                **_CIDR_LIST,
                "default": DEFAULT_HOST_SUBNETS,
                "description": "Subnets already in use on the Docker host (CIDR).",
            }
        }
    ),
    validate=_overlapping_subnets,
)


def _allowed_subnets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != NETWORK:
        return
    props = unwrap(args.props)
    label = name if isinstance(name := text(props, "name"), str) else args.name
    allowed = [
        n
        for n in (
            parse_network(a)
            for a in config_strings(args, "allowedSubnets", DEFAULT_ALLOWED_SUBNETS)
        )
        if n
    ]
    configs = items(props, "ipamConfigs")
    if isinstance(configs, Unknown):
        finish(args, [f'the ipamConfigs of network "{label}" are'])
        return
    unknowns: list[str] = []
    for config in configs:
        subnet_text = text(config, "subnet")
        if isinstance(subnet_text, Unknown):
            unknowns.append(f'a subnet of network "{label}" is')
            continue
        if subnet_text is None:
            continue
        subnet = parse_network(subnet_text)
        if subnet is None:
            report(
                f'network "{label}": subnet "{subnet_text}" is not a valid CIDR subnet; the engine '
                "refuses the network; write it as address/prefix, e.g. 172.22.16.0/24.",
                None,
            )
        elif not any(
            subnet.version == a.version and subnet.subnet_of(a)  # type: ignore[arg-type]
            for a in allowed
        ):
            shown = ", ".join(str(a) for a in allowed) or "none"
            report(
                f'network "{label}": subnet "{subnet_text}" is outside the allowed ranges {shown} '
                "(policy config allowedSubnets); pick a subnet inside them, or extend "
                "allowedSubnets.",
                None,
            )
    finish(args, unknowns)


docker_network_enforce_allowed_subnets = ResourceValidationPolicy(
    name="docker-network-enforce-allowed-subnets",
    description="A network's subnets are valid CIDRs inside the allowed address ranges.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSubnets": {
                **_CIDR_LIST,
                "default": DEFAULT_ALLOWED_SUBNETS,
                "description": "Address ranges (CIDR) every network subnet must lie inside.",
            }
        }
    ),
    validate=_allowed_subnets,
)


@dataclass(frozen=True)
class _Static:
    container: ContainerEntry
    network: NetworkEntry
    text: str


def _statics(index: StackIndex, unknowns: list[str]) -> list[_Static]:
    """Static IPv4 addresses on networks of the stack; unknowns noted."""
    found: list[_Static] = []
    names_unknown = any(isinstance(n.name, Unknown) for n in index.networks)
    for container in index.containers:
        view = container.view
        if view.attachments_unknown:
            unknowns.append(f'networksAdvanced of container "{view.label}" is')
        for attachment in view.attachments:
            address = attachment.ipv4_address
            if address is None:
                continue
            if isinstance(attachment.network, Unknown):
                unknowns.append(f'a network of container "{view.label}" is')
                continue
            network = index.networks_by_name.get(attachment.network or "")
            if network is None:
                if names_unknown:
                    unknowns.append(f'the network "{attachment.network}" of "{view.label}" is')
                continue
            if isinstance(address, Unknown):
                unknowns.append(f'the static address of container "{view.label}" is')
                continue
            found.append(_Static(container, network, address))
    return found


def _subnet_required(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for static in _statics(index, unknowns):
        network = static.network
        if network.ipams_unknown or any(isinstance(i.subnet_text, Unknown) for i in network.ipams):
            unknowns.append(f'the subnet of network "{network.label}" is')
            continue
        if not any(isinstance(i.subnet_text, str) for i in network.ipams):
            report(
                f'container "{static.container.view.label}": static address "{static.text}" on '
                f'network "{network.label}", which has no configured subnet; the engine refuses '
                'it with "user specified IP address is supported only when connecting to networks '
                'with user configured subnets"; give network '
                f'"{network.label}" an ipamConfigs subnet that contains the address.',
                static.container.urn,
            )
    finish(args, unknowns)


docker_container_require_subnet_for_static_ip = StackValidationPolicy(
    name="docker-container-require-subnet-for-static-ip",
    description=(
        "A container gives a static address only on a network of the stack that has a "
        "configured subnet."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_subnet_required,
)


def _containing(network: NetworkEntry, address: ipaddress.IPv4Address) -> Ipam | None:
    for ipam in network.ipams:
        if ipam.subnet is not None and ipam.subnet.version == 4 and address in ipam.subnet:
            return ipam
    return None


def _static_in_subnet(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    taken: dict[tuple[str, ipaddress.IPv4Address], ContainerEntry] = {}
    for static in _statics(index, unknowns):
        label, network, shown = static.container.view.label, static.network, static.text
        head = f'container "{label}": static address "{shown}" on network "{network.label}"'
        address = parse_address(shown)
        if not isinstance(address, ipaddress.IPv4Address):
            report(
                f"{head} is not a valid IPv4 address; the engine refuses it; write four dotted "
                "decimal numbers, e.g. 172.22.16.10.",
                static.container.urn,
            )
            continue
        subnets = [
            i.subnet for i in network.ipams if i.subnet is not None and i.subnet.version == 4
        ]
        if network.ipams_unknown or any(isinstance(i.subnet_text, Unknown) for i in network.ipams):
            unknowns.append(f'the subnet of network "{network.label}" is')
            continue
        if not subnets:
            continue  # docker-container-require-subnet-for-static-ip says so
        ipam = _containing(network, address)
        if ipam is None or ipam.subnet is None:
            where = ", ".join(str(s) for s in subnets)
            its = "its subnet" if len(subnets) == 1 else "its subnets"
            report(
                f'{head} is outside {its} {where}; the engine refuses it with "Invalid address '
                f"{shown}: It does not belong to any of this network's subnets\"; pick an address "
                f"inside {where}.",
                static.container.urn,
            )
            continue
        subnet = ipam.subnet
        problem = _reserved(address, ipam, network)
        if isinstance(problem, Unknown):
            unknowns.append(f'the gateway of network "{network.label}" is')
        elif problem is not None:
            report(
                f'{head} is {problem}; the engine refuses it with "Address already in use"; pick '
                f"a host address of {subnet} that is not the gateway.",
                static.container.urn,
            )
            continue
        key = (network.urn, address)
        first = taken.setdefault(key, static.container)
        if first is not static.container:
            report(
                f'{head} is already given to container "{first.view.label}"; the engine refuses '
                'the second with "Address already in use"; give each container its own address.',
                static.container.urn,
            )
    finish(args, unknowns)


def _reserved(
    address: ipaddress.IPv4Address, ipam: Ipam, network: NetworkEntry
) -> str | Unknown | None:
    subnet = ipam.subnet
    assert subnet is not None
    if subnet.prefixlen < 31:
        if address == subnet.network_address:
            return f"the network address of {subnet}"
        if address == subnet.broadcast_address:
            return f"the broadcast address of {subnet}"
    if isinstance(ipam.gateway, Unknown):
        return ipam.gateway
    if ipam.gateway is None:
        if subnet.prefixlen < 31 and address == subnet.network_address + 1:
            return (
                f'the gateway the engine gives network "{network.label}" (the first address of '
                f"{subnet})"
            )
        return None
    if parse_address(ipam.gateway) == address:
        return f'the gateway of network "{network.label}"'
    return None


docker_container_enforce_static_ip_in_subnet = StackValidationPolicy(
    name="docker-container-enforce-static-ip-in-subnet",
    description=(
        "A static address lies inside its network's subnet, is not the network, broadcast or "
        "gateway address, and is given to one container only."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_static_in_subnet,
)


def _static_in_ip_range(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for static in _statics(index, unknowns):
        address = parse_address(static.text)
        if not isinstance(address, ipaddress.IPv4Address):
            continue
        ipam = _containing(static.network, address)
        if ipam is None:
            continue
        if isinstance(ipam.ip_range_text, Unknown):
            unknowns.append(f'the ipRange of network "{static.network.label}" is')
        elif ipam.ip_range is not None and address in ipam.ip_range:
            report(
                f'container "{static.container.view.label}": static address "{static.text}" on '
                f'network "{static.network.label}" is inside its ipRange {ipam.ip_range}, the pool '
                "the engine hands out to containers without a static address, so one started "
                'earlier can hold it ("Address already in use"); pick an address outside '
                f"{ipam.ip_range}.",
                static.container.urn,
            )
    finish(args, unknowns)


docker_container_disallow_static_ip_in_ip_range = StackValidationPolicy(
    name="docker-container-disallow-static-ip-in-ip-range",
    description=(
        "A static address lies outside its network's ipRange, the pool the engine assigns "
        "dynamically."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_static_in_ip_range,
)


def _published_ports(props: object) -> list[str] | Unknown:
    ports = items(props, "ports")
    if isinstance(ports, Unknown):
        return ports
    shown = [port_number(number(p, "internal")) for p in ports if isinstance(p, dict)]
    if flag(props, "publishAllPorts") is True:
        shown.append("all exposed")
    return shown


def _ports_on_internal(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        ports = _published_ports(container.props)
        if isinstance(ports, Unknown):
            unknowns.append(f'the ports of container "{label}" are')
            continue
        if not ports:
            continue
        networks = index.own_networks(container)
        if isinstance(networks, Unknown):
            unknowns.append(f'the networks of container "{label}" are')
            continue
        entries = [index.networks_by_name.get(n) for n in sorted(networks)]
        if not entries or any(e is None for e in entries):
            continue
        internal = [e.internal for e in entries if e is not None]
        if any(isinstance(i, Unknown) for i in internal):
            unknowns.append(f'the internal flag of a network of "{label}" is')
        elif all(i is True for i in internal):
            report(
                f'container "{label}": publishes ports [{", ".join(ports)}] but is attached only '
                f"to internal networks {quoted(sorted(networks))}; the engine accepts the ports "
                "and silently publishes nothing, since an internal network has no way out; attach "
                "the container to a non-internal network as well, or drop the ports.",
                container.urn,
            )
    finish(args, unknowns)


docker_container_disallow_ports_on_internal_network = StackValidationPolicy(
    name="docker-container-disallow-ports-on-internal-network",
    description="A container attached only to internal networks publishes no ports.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_ports_on_internal,
)

NETWORK_POLICIES = [
    docker_network_disallow_overlapping_subnets,
    docker_network_enforce_allowed_subnets,
    docker_container_require_subnet_for_static_ip,
    docker_container_enforce_static_ip_in_subnet,
    docker_container_disallow_static_ip_in_ip_range,
    docker_container_disallow_ports_on_internal_network,
]
"""The network and addressing rules, in README order."""
