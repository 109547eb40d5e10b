"""Network rules on subnets as a whole: no two networks of one engine overlap, and every
subnet lies inside the allowed address ranges."""

from __future__ import annotations

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
    items,
    parse_network,
    text,
    unwrap,
)
from ._stack import NetworkEntry, StackIndex, Subnet

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
                if ipam.subnet.version == 6 and network.ipv6 is not True:
                    # The engine asks for no IPv6 pool on a network without ipv6: no overlap.
                    if isinstance(network.ipv6, Unknown):
                        unknowns.append(f'the ipv6 flag of network "{network.label}" is')
                    continue
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
            continue  # docker-network-enforce-valid-ipam-config says so
        if not any(
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
    description="A network's subnets lie inside the allowed address ranges.",
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
