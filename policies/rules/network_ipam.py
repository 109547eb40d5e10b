"""Network rules on each network's IPAM config: what the engine refuses at network create,
and the IPv6 settings it accepts and then ignores."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._ipam import Address, implicit_gateway, never_given, range_inside
from ._ipam import pool as dynamic_pool
from ._props import (
    NETWORK,
    Unknown,
    finish,
    flag,
    items,
    parse_address,
    text,
    unwrap,
)
from ._stack import Ipam, StackIndex, Subnet, ipam_entry
from .vocabulary import driver_row


def _address_space(driver: str | None) -> str:
    row = driver_row(driver)
    return row.address_space if row is not None else "LocalDefault"


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
    row = driver_row(driver)
    if row is not None and row.single_ipv4_subnet is not None and len(v4) > 1:
        findings.append(
            (
                f"ipamConfigs has {len(v4)} IPv4 subnets ({', '.join(str(s) for s in v4)})",
                row.single_ipv4_subnet,
                f"give a {row.name} network one IPv4 subnet",
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
