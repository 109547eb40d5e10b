"""Network rules: names, IPAM configs, subnets, static addresses, and internal networks."""

from __future__ import annotations

from bisect import bisect_left
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

from ._ipam import Address, Pool, implicit_gateway, never_given, range_inside
from ._ipam import pool as dynamic_pool
from ._props import (
    NETWORK,
    PREDEFINED_NETWORKS,
    UNKNOWN,
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
from ._stack import ContainerEntry, Ipam, NetworkEntry, StackIndex, Subnet, ipam_entry

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


# -- the networks themselves -------------------------------------------------------------------


def _address_space(driver: str | None) -> str:
    return "GlobalDefault" if driver == "overlay" else "LocalDefault"


Problem = tuple[str, str, str]
"""(what the config says, the engine's message, the fix)."""


def _ipam_problems(
    label: str, ipam: Ipam, index: int, ipv6: bool | None, driver: str | None
) -> tuple[list[Problem], list[str]]:
    """What the engine refuses in one ipamConfigs entry, and what is unknown at preview."""
    found: list[Problem] = []
    unknowns: list[str] = []
    at = f"ipamConfigs[{index}]"
    subnet_text, subnet = ipam.subnet_text, ipam.subnet
    if isinstance(subnet_text, Unknown):
        return found, [f'the subnet of {at} of network "{label}" is']
    if subnet_text is None:
        what = f"{at} has no subnet"
        engine = "Invalid subnet  : invalid CIDR address: "
        return [(what, engine, "give every ipamConfigs entry a subnet, e.g. 172.22.16.0/24")], []
    if subnet is None:
        what = f'{at}.subnet "{subnet_text}" is not a CIDR subnet'
        engine = f"Invalid subnet {subnet_text} : invalid CIDR address: {subnet_text}"
        return [(what, engine, "write it as address/prefix, e.g. 172.22.16.0/24")], []
    if subnet.version == 6 and ipv6 is not True:
        return found, unknowns  # ignored by the engine: docker-network-disallow-ignored-ip-settings
    range_problem, ip_range = _range_problem(at, ipam, subnet, driver)
    found.extend(range_problem)
    taken: dict[Address, str] = {
        a: ("the network address" if a == subnet.network_address else "the broadcast address")
        for a in never_given(subnet)
    }
    gateway: Address | None = None
    if isinstance(ipam.gateway, Unknown):
        unknowns.append(f'the gateway of {at} of network "{label}" is')
    elif ipam.gateway is not None:
        gateway_problem, gateway = _gateway_problem(at, ipam.gateway, subnet, taken)
        found.extend(gateway_problem)
    elif not isinstance(ipam.ip_range_text, Unknown) and not range_problem:
        gateway = implicit_gateway(subnet, ip_range)
    if isinstance(ipam.ip_range_text, Unknown):
        unknowns.append(f'the ipRange of {at} of network "{label}" is')
    if gateway is not None:
        taken.setdefault(gateway, "the gateway")
    if ipam.aux_unknown:
        unknowns.append(f'the auxAddress of {at} of network "{label}" is')
    for name in sorted(ipam.aux):
        value = ipam.aux[name]
        if isinstance(value, Unknown):
            unknowns.append(f'the auxAddress "{name}" of {at} of network "{label}" is')
        else:
            found.extend(_aux_problem(label, at, (name, value), subnet, taken))
    return found, unknowns


def _range_problem(
    at: str, ipam: Ipam, subnet: Subnet, driver: str | None
) -> tuple[list[Problem], Subnet | None]:
    """What the engine refuses in an entry's ipRange, and the range it uses."""
    range_text = ipam.ip_range_text
    if range_text is None or isinstance(range_text, Unknown):
        return [], None
    request = (
        f'failed to parse pool request for address space "{_address_space(driver)}" pool '
        f'"{ipam.subnet_text}" subpool "{range_text}"'
    )
    parsed = ipam.ip_range
    if parsed is None:
        what = f'{at}.ipRange "{range_text}" is not a CIDR range'
        engine = f"{request}: Invalid Address SubPool"
        return [(what, engine, f"write it as address/prefix inside {subnet}")], None
    if parsed.version != subnet.version:
        what = f'{at}.ipRange "{range_text}" is not of the IP version of subnet {subnet}'
        engine = f"{request}: failed to compute range's lowest ip address"
        return [(what, engine, f"give an ipRange inside {subnet}")], None
    return [], parsed


def _gateway_problem(
    at: str, gateway: str, subnet: Subnet, taken: dict[Address, str]
) -> tuple[list[Problem], Address | None]:
    """What the engine refuses in an entry's gateway, and the gateway it takes."""
    parsed = parse_address(gateway)
    refused = f"failed to allocate gateway ({gateway})"
    fix = f"give a host address of {subnet}"
    if parsed is None:
        what = f'{at}.gateway "{gateway}" is not an IP address'
        return [(what, f"invalid gateway address {gateway} in Ipam configuration", fix)], None
    if parsed.version != subnet.version or parsed not in subnet:
        what = f'{at}.gateway "{gateway}" is outside subnet {subnet}'
        return [(what, f"{refused}: Requested address is out of range", fix)], None
    if parsed in taken:
        what = f'{at}.gateway "{gateway}" is {taken[parsed]} of {subnet}'
        return [(what, f"{refused}: Address already in use", fix)], None
    return [], parsed


def _aux_problem(
    label: str, at: str, aux: tuple[str, str], subnet: Subnet, taken: dict[Address, str]
) -> list[Problem]:
    """What the engine refuses in one aux address (name, value); the address is marked taken."""
    name, value = aux
    address = parse_address(value)
    what = f'{at}.auxAddress "{name}" ("{value}")'
    if address is None:
        engine = f"non parsable secondary ip address ({name}:{value}) passed for network {label}"
        return [(f"{what} is not an IP address", engine, f"give a host address of {subnet}")]
    if address.version != subnet.version or address not in subnet:
        engine = f"auxiliary address: ({name}:{value}) must belong to the master pool: {subnet}"
        return [(f"{what} is outside subnet {subnet}", engine, f"give an address inside {subnet}")]
    if address in taken:
        engine = f"failed to allocate secondary ip address ({name}:{value}): Address already in use"
        holder = taken[address]
        if holder in ("the network address", "the broadcast address"):
            holder = f"{holder} of {subnet}"
        fix = f"give each aux address a host address of {subnet} of its own, not the gateway"
        return [(f"{what} is {holder}", engine, fix)]
    taken[address] = f'auxAddress "{name}"'
    return []


def _valid_ipam(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != NETWORK:
        return
    props = unwrap(args.props)
    label = name if isinstance(name := text(props, "name"), str) else args.name
    ipam_driver = text(props, "ipamDriver")
    driver = text(props, "driver")
    ipv6 = flag(props, "ipv6")
    configs = items(props, "ipamConfigs")
    unknowns: list[str] = []
    for value, what in ((ipam_driver, "ipamDriver"), (driver, "driver"), (ipv6, "ipv6")):
        if isinstance(value, Unknown):
            unknowns.append(f'the {what} of network "{label}" is')
    if isinstance(configs, Unknown):
        unknowns.append(f'the ipamConfigs of network "{label}" are')
    if unknowns or isinstance(configs, Unknown):
        finish(args, unknowns)
        return
    assert not isinstance(driver, Unknown) and not isinstance(ipv6, Unknown)
    if ipam_driver not in (None, "default"):
        return  # another IPAM driver has rules of its own
    findings: list[Problem] = []
    subnets: list[Subnet] = []
    for index, config in enumerate(configs):
        ipam = ipam_entry(config)
        found, unknown = _ipam_problems(label, ipam, index, ipv6, driver)
        findings.extend(found)
        unknowns.extend(unknown)
        if ipam.subnet is not None:
            subnets.append(ipam.subnet)
    v4 = [s for s in subnets if s.version == 4]
    if driver in (None, "bridge") and len(v4) > 1:
        findings.append(
            (
                f"ipamConfigs has {len(v4)} IPv4 subnets ({', '.join(str(s) for s in v4)})",
                "bridge driver doesn't support multiple subnets",
                "give a bridge network one IPv4 subnet",
            )
        )
    if ipv6 is True and not any(s.version == 6 for s in subnets) and not unknowns:
        findings.append(
            (
                "ipv6 is true but ipamConfigs has no IPv6 subnet",
                "could not find an available, non-overlapping IPv6 address pool among the "
                "defaults to assign to the network",
                "add an ipamConfigs entry with an IPv6 subnet, e.g. fd00:16::/64",
            )
        )
    for what, engine, fix in findings:
        report(
            f'network "{label}": {what}; the engine refuses the network with "{engine}"; {fix}.',
            None,
        )
    for position, config in enumerate(configs):
        outside = _range_outside(ipam_entry(config), ipv6)
        if outside is not None:
            report(f'network "{label}": ipamConfigs[{position}].{outside}', None)
    finish(args, unknowns)


def _range_outside(ipam: Ipam, ipv6: bool | None) -> str | None:
    """What to say of an ipRange (of its subnet's IP version) that is not inside its subnet."""
    subnet, ip_range = ipam.subnet, ipam.ip_range
    if subnet is None or ip_range is None or ip_range.version != subnet.version:
        return None
    if (subnet.version == 6 and ipv6 is not True) or range_inside(subnet, ip_range):
        return None
    if ip_range.prefixlen < subnet.prefixlen:
        newer = f"ip-range {ipam.ip_range_text} is bigger than its associated subnet"
    else:
        newer = f"subnet doesn't contain ip-range {ipam.ip_range_text}"
    return (
        f'ipRange "{ipam.ip_range_text}" is not inside its subnet {subnet}; engines from 25 '
        f'refuse the network with "{newer}", and engine 20.10 accepts it and hands out dynamic '
        f"addresses from {dynamic_pool(subnet, ip_range).shown()} instead; give an ipRange "
        f"inside {subnet}."
    )


docker_network_enforce_valid_ipam_config = ResourceValidationPolicy(
    name="docker-network-enforce-valid-ipam-config",
    description=(
        "A network's IPAM config is one the engine creates: CIDR subnets, one IPv4 subnet on a "
        "bridge network, an IPv6 subnet when ipv6 is on, an ipRange of the subnet's IP version "
        "inside it, and a gateway and aux addresses inside their subnet, each a host address of "
        "its own."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_ipam,
)


def _duplicate_network_name(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    first: dict[str, NetworkEntry] = {}
    unknowns: list[str] = []
    for network in index.networks:
        name = network.name
        if isinstance(name, Unknown):
            unknowns.append(f'the name of network resource "{network.resource_name}" is')
            continue
        if name is None:
            continue
        if name in PREDEFINED_NETWORKS:
            report(
                f'network "{name}": name "{name}" is the name of a network the engine defines '
                f'itself; the engine refuses it with "operation is not permitted on predefined '
                f'{name} network"; give the network another name.',
                network.urn,
            )
            continue
        holder = first.setdefault(name, network)
        if holder is not network:
            report(
                f'network "{name}": name "{name}" is already used by network resource '
                f'"{holder.resource_name}"; the engine refuses the second with "network with name '
                f'{name} already exists"; give every network of the stack its own name.',
                network.urn,
            )
    finish(args, unknowns)


docker_network_disallow_duplicate_name = StackValidationPolicy(
    name="docker-network-disallow-duplicate-name",
    description=(
        "No two networks of a stack have the same name, and none is named like a network the "
        "engine defines itself (bridge, host, none, default)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_duplicate_network_name,
)


def _ignored_ip_settings(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for network in index.networks:
        label = network.label
        for position, ipam in enumerate(network.ipams):
            subnet = ipam.subnet
            if subnet is None:
                continue
            at = f"ipamConfigs[{position}]"
            if subnet.version == 6 and network.ipv6 is not True:
                if isinstance(network.ipv6, Unknown):
                    unknowns.append(f'the ipv6 flag of network "{label}" is')
                    continue
                report(
                    f'network "{label}": {at}.subnet "{ipam.subnet_text}" is an IPv6 subnet, but '
                    "ipv6 is not true; the engine accepts it and ignores it, so no container "
                    "gets an IPv6 address on this network; set ipv6 true on the network, or drop "
                    "the IPv6 subnet.",
                    network.urn,
                )
                continue
    for container in index.containers:
        view = container.view
        for attachment in view.attachments:
            address = attachment.ipv6_address
            if not isinstance(address, str) or not isinstance(attachment.network, str):
                continue
            joined = index.networks_by_name.get(attachment.network)
            if joined is None or joined.ipv6 is True:
                continue
            if isinstance(joined.ipv6, Unknown):
                unknowns.append(f'the ipv6 flag of network "{joined.label}" is')
                continue
            if not any(i.subnet is not None and i.subnet.version == 6 for i in joined.ipams):
                continue  # refused: docker-container-require-subnet-for-static-ip says so
            report(
                f'container "{view.label}": IPv6 address "{address}" on network '
                f'"{joined.label}", which does not have ipv6 true; the engine accepts it and '
                "ignores it, so the container has no IPv6 address there; set ipv6 true on "
                f'network "{joined.label}".',
                container.urn,
            )
    finish(args, unknowns)


docker_network_disallow_ignored_ip_settings = StackValidationPolicy(
    name="docker-network-disallow-ignored-ip-settings",
    description=(
        "No network or attachment sets addresses the engine accepts and then ignores: IPv6 "
        "subnets or IPv6 addresses on a network without ipv6."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_ignored_ip_settings,
)


# -- static addresses --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Static:
    container: ContainerEntry
    network: NetworkEntry
    text: str
    version: int
    """4 for `ipv4Address`, 6 for `ipv6Address`."""

    @property
    def head(self) -> str:
        kind = "static address" if self.version == 4 else "static IPv6 address"
        return (
            f'container "{self.container.view.label}": {kind} "{self.text}" on network '
            f'"{self.network.label}"'
        )


def _statics(index: StackIndex, unknowns: list[str]) -> list[_Static]:
    """Static IPv4 and IPv6 addresses on networks of the stack; unknowns noted."""
    found: list[_Static] = []
    names_unknown = any(isinstance(n.name, Unknown) for n in index.networks)
    for container in index.containers:
        view = container.view
        if view.attachments_unknown:
            unknowns.append(f'networksAdvanced of container "{view.label}" is')
        for attachment in view.attachments:
            for version, address in ((4, attachment.ipv4_address), (6, attachment.ipv6_address)):
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
                found.append(_Static(container, network, address, version))
    return found


def _subnets_unknown(network: NetworkEntry) -> bool:
    return network.ipams_unknown or any(isinstance(i.subnet_text, Unknown) for i in network.ipams)


def _subnet_required(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for static in _statics(index, unknowns):
        network = static.network
        if _subnets_unknown(network):
            unknowns.append(f'the subnet of network "{network.label}" is')
            continue
        versions = {i.subnet.version for i in network.ipams if i.subnet is not None}
        if static.version in versions:
            continue
        engine = (
            'the engine refuses it with "user specified IP address is supported only when '
            'connecting to networks with user configured subnets"'
        )
        if static.version == 6:
            report(
                f"{static.head}, which has no configured IPv6 subnet; {engine}; give network "
                f'"{network.label}" an IPv6 ipamConfigs subnet that contains the address, and '
                "ipv6 true.",
                static.container.urn,
            )
        elif versions:
            report(
                f"{static.head}, which has no configured IPv4 subnet; {engine}; give network "
                f'"{network.label}" an IPv4 ipamConfigs subnet that contains the address.',
                static.container.urn,
            )
        elif not any(isinstance(i.subnet_text, str) for i in network.ipams):
            report(
                f"{static.head}, which has no configured subnet; {engine}; give network "
                f'"{network.label}" an ipamConfigs subnet that contains the address.',
                static.container.urn,
            )
    finish(args, unknowns)


docker_container_require_subnet_for_static_ip = StackValidationPolicy(
    name="docker-container-require-subnet-for-static-ip",
    description=(
        "A container gives a static address only on a network of the stack that has a "
        "configured subnet of the address's IP version."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_subnet_required,
)


def _containing(network: NetworkEntry, address: Address) -> Ipam | None:
    for ipam in network.ipams:
        subnet = ipam.subnet
        if subnet is not None and subnet.version == address.version and address in subnet:
            return ipam
    return None


def _effective_range(ipam: Ipam) -> Subnet | None:
    """The ipRange as the engine uses it: None when absent or of another IP version."""
    subnet, ip_range = ipam.subnet, ipam.ip_range
    if subnet is None or ip_range is None or ip_range.version != subnet.version:
        return None
    return ip_range


def _static_in_subnet(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    taken: dict[tuple[str, Address], ContainerEntry] = {}
    for static in _statics(index, unknowns):
        network, shown, head = static.network, static.text, static.head
        if static.version == 6 and network.ipv6 is not True:
            if isinstance(network.ipv6, Unknown):
                unknowns.append(f'the ipv6 flag of network "{network.label}" is')
            continue  # ignored by the engine: docker-network-disallow-ignored-ip-settings
        address = parse_address(shown)
        if address is None or address.version != static.version:
            if static.version == 4:
                report(
                    f"{head} is not a valid IPv4 address; the engine refuses it; write four "
                    "dotted decimal numbers, e.g. 172.22.16.10.",
                    static.container.urn,
                )
            else:
                report(
                    f"{head} is not a valid IPv6 address; the engine refuses it; write an IPv6 "
                    "address, e.g. fd00:16::10.",
                    static.container.urn,
                )
            continue
        if _subnets_unknown(network):
            unknowns.append(f'the subnet of network "{network.label}" is')
            continue
        subnets = [
            i.subnet
            for i in network.ipams
            if i.subnet is not None and i.subnet.version == static.version
        ]
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
            unknowns.append(f'the gateway or aux addresses of network "{network.label}" are')
        elif problem is not None:
            also = " or an aux address" if problem.startswith("the aux address") else ""
            report(
                f'{head} is {problem}; the engine refuses it with "Address already in use"; pick '
                f"a host address of {subnet} that is not the gateway{also}.",
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


def _reserved(address: Address, ipam: Ipam, network: NetworkEntry) -> str | Unknown | None:
    """What `address` already is on `network` (network, broadcast, gateway or aux address)."""
    subnet = ipam.subnet
    assert subnet is not None
    for reserved in never_given(subnet):
        if address == reserved:
            kind = "network" if reserved == subnet.network_address else "broadcast"
            return f"the {kind} address of {subnet}"
    if isinstance(ipam.gateway, Unknown) or isinstance(ipam.ip_range_text, Unknown):
        return UNKNOWN
    if ipam.gateway is None:
        ip_range = _effective_range(ipam)
        if address == implicit_gateway(subnet, ip_range):
            where = f"its ipRange {ip_range}" if ip_range is not None else str(subnet)
            return (
                f'the gateway the engine gives network "{network.label}" (the first address of '
                f"{where})"
            )
    elif parse_address(ipam.gateway) == address:
        return f'the gateway of network "{network.label}"'
    if ipam.aux_unknown:
        return UNKNOWN
    for name in sorted(ipam.aux):
        value = ipam.aux[name]
        if isinstance(value, Unknown):
            return UNKNOWN
        if parse_address(value) == address:
            return f'the aux address "{name}" of network "{network.label}"'
    return None


docker_container_enforce_static_ip_in_subnet = StackValidationPolicy(
    name="docker-container-enforce-static-ip-in-subnet",
    description=(
        "A static address lies inside its network's subnet, is not the network, broadcast, "
        "gateway or an aux address, and is given to one container only."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_static_in_subnet,
)


# -- static addresses the engine may hand out dynamically first --------------------------------


@dataclass(frozen=True)
class _Exposure:
    """A static IPv4 address inside the pool the engine hands out dynamically."""

    static: _Static
    pool: Pool
    ip_range: Subnet | None
    """The ipRange as written, when the engine uses it as written."""
    dynamic: list[ContainerEntry]
    """The stack's containers on the network that get a dynamic address there."""
    free_below: int
    """Addresses of the pool below it the engine could give a dynamic container first, when
    every other static address is already taken."""
    certain_free_below: int
    """The same, when no other static address is taken yet."""
    earlier: list[ContainerEntry]
    """Dynamic containers on the network the container depends on, so started before it."""

    def where(self) -> str:
        subnet = self.pool.subnet
        if self.ip_range is not None and range_inside(subnet, self.ip_range):
            return f"ipRange {self.ip_range}"
        if self.ip_range is not None:
            return f"its ipRange as the engine applies it ({self.pool.shown()})"
        return f"its subnet {subnet} (without an ipRange every address of it is dynamic)"

    def fix(self) -> str:
        if self.ip_range is not None and range_inside(self.pool.subnet, self.ip_range):
            return f"pick an address outside {self.ip_range}"
        if self.ip_range is not None:
            return f"pick an address outside {self.pool.shown()}"
        return (
            f'give network "{self.static.network.label}" an ipRange for dynamic addresses and '
            "pick a static address outside it"
        )


def _dynamic_attachments(index: StackIndex) -> tuple[dict[str, list[ContainerEntry]], int]:
    """The containers that get a dynamic IPv4 address, by network; and how many containers'
    networks are unknown at preview (each may add one on any network)."""
    by_network: dict[str, list[ContainerEntry]] = {}
    undecided = 0
    for container in index.containers:
        if flag(container.props, "start") is False:
            continue  # never started, so never given an address
        view = container.view
        if view.attachments_unknown:
            undecided += 1
            continue
        named: set[str] = set()
        unknown = False
        for attachment in view.attachments:
            network, address = attachment.network, attachment.ipv4_address
            if isinstance(network, Unknown) or isinstance(address, Unknown):
                unknown = True
            elif network:
                named.add(network)
                if address is None:
                    by_network.setdefault(network, []).append(container)
        mode = view.network_mode
        if isinstance(mode, Unknown):
            unknown = unknown or not view.attachments
        elif (
            mode is not None
            and mode not in PREDEFINED_NETWORKS
            and not mode.startswith("container:")
            and mode not in named
        ):
            by_network.setdefault(mode, []).append(container)
        undecided += unknown
    return by_network, undecided


def _exposures(index: StackIndex, unknowns: list[str]) -> list[_Exposure]:
    """Every static IPv4 address a dynamic container of the stack may be given first."""
    statics = [s for s in _statics(index, unknowns) if s.version == 4]
    dynamic, undecided = _dynamic_attachments(index)
    parsed: list[tuple[_Static, Address, Ipam]] = []
    by_ipam: dict[int, list[int]] = {}
    for static in statics:
        address = parse_address(static.text)
        if address is None or address.version != 4:
            continue
        ipam = _containing(static.network, address)
        if ipam is None:
            continue
        parsed.append((static, address, ipam))
        by_ipam.setdefault(id(ipam), []).append(int(address))
    sorted_statics = {key: sorted(set(values)) for key, values in by_ipam.items()}
    found: list[_Exposure] = []
    for static, address, ipam in parsed:
        subnet = ipam.subnet
        assert subnet is not None
        if isinstance(ipam.ip_range_text, Unknown) or isinstance(ipam.gateway, Unknown):
            unknowns.append(f'the ipRange or gateway of network "{static.network.label}" is')
            continue
        ip_range = _effective_range(ipam)
        span = dynamic_pool(subnet, ip_range)
        if not span.contains(address):
            continue
        reserved = _reserved_in_pool(ipam, subnet, ip_range, span)
        value = int(address)
        if value in reserved:
            continue  # docker-container-enforce-static-ip-in-subnet says so
        below = value - span.first - sum(1 for r in reserved if r < value)
        others = sorted_statics[id(ipam)]
        lower = bisect_left(others, span.first)
        taken_below = sum(
            1 for v in others[lower : bisect_left(others, value)] if v not in reserved
        )
        on_network = dynamic.get(static.network.name or "", [])  # type: ignore[arg-type]
        dependencies = static.container.dependencies
        found.append(
            _Exposure(
                static=static,
                pool=span,
                ip_range=ip_range,
                dynamic=on_network,
                free_below=below - taken_below,
                certain_free_below=below,
                earlier=[c for c in on_network if c.urn in dependencies],
            )
        )
        if len(on_network) <= below - taken_below < len(on_network) + undecided:
            unknowns.append(
                f'whether containers get dynamic addresses on network "{static.network.label}" is'
            )
    return found


def _reserved_in_pool(ipam: Ipam, subnet: Subnet, ip_range: Subnet | None, span: Pool) -> set[int]:
    """Addresses of the pool the engine never hands out dynamically."""
    reserved = {int(a) for a in never_given(subnet)}
    gateway = (
        implicit_gateway(subnet, ip_range)
        if ipam.gateway is None or isinstance(ipam.gateway, Unknown)
        else parse_address(ipam.gateway)
    )
    if gateway is not None:
        reserved.add(int(gateway))
    for value in ipam.aux.values():
        aux = parse_address(value) if isinstance(value, str) else None
        if aux is not None:
            reserved.add(int(aux))
    return {r for r in reserved if span.first <= r <= span.last}


def _count(number: int, thing: str) -> str:
    """`1 container`, `3 containers`, `2 free addresses`."""
    if number == 1:
        return f"1 {thing}"
    return f"{number} {thing}es" if thing.endswith("s") else f"{number} {thing}s"


def _taken_dynamically(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for exposure in _exposures(index, unknowns):
        earlier = exposure.earlier
        if len(earlier) <= exposure.certain_free_below:
            continue
        names = ", ".join(f'"{c.view.label}"' for c in earlier)
        report(
            f"{exposure.static.head} goes to a container without a static address first: this "
            f"container depends on {_count(len(earlier), 'container')} without one there "
            f"({names}), which start before it and get the lowest free addresses of "
            f"{exposure.where()}, this one among them; the engine then refuses this container "
            f'with "Address already in use"; {exposure.fix()}.',
            exposure.static.container.urn,
        )
    finish(args, unknowns)


docker_container_disallow_static_ip_taken_dynamically = StackValidationPolicy(
    name="docker-container-disallow-static-ip-taken-dynamically",
    description=(
        "A static address is not one the engine gives to a container without a static address "
        "that is started before the container asking for it."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_taken_dynamically,
)


def _static_in_ip_range(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for exposure in _exposures(index, unknowns):
        count = len(exposure.dynamic)
        if count <= exposure.free_below or len(exposure.earlier) > exposure.certain_free_below:
            continue  # out of reach, or certain: docker-container-disallow-static-ip-taken-...
        report(
            f"{exposure.static.head} lies in {exposure.where()}, whose lowest free addresses the "
            f"engine gives to the {_count(count, 'container')} there without a static address; "
            f"with {_count(exposure.free_below, 'free address')} below it, one of them gets it "
            "if it starts first (Pulumi creates containers in parallel, and a host restart "
            "starts them in any order), and the engine then refuses this container with "
            f'"Address already in use"; {exposure.fix()}.',
            exposure.static.container.urn,
        )
    finish(args, unknowns)


docker_container_disallow_static_ip_in_ip_range = StackValidationPolicy(
    name="docker-container-disallow-static-ip-in-ip-range",
    description=(
        "A static address lies outside the addresses the engine may hand out first to the "
        "stack's containers without a static address: its network's ipRange, or the whole "
        "subnet when there is none."
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
    docker_network_enforce_valid_ipam_config,
    docker_network_disallow_duplicate_name,
    docker_network_disallow_ignored_ip_settings,
    docker_container_require_subnet_for_static_ip,
    docker_container_enforce_static_ip_in_subnet,
    docker_container_disallow_static_ip_taken_dynamically,
    docker_container_disallow_static_ip_in_ip_range,
    docker_container_disallow_ports_on_internal_network,
]
"""The network and addressing rules, in README order."""
