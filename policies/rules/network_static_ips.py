"""Network rules on static addresses: a configured subnet of the address's IP version, an
address inside it that no one else holds."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._ipam import Address, implicit_gateway, never_given
from ._props import (
    UNKNOWN,
    Unknown,
    finish,
    parse_address,
)
from ._stack import ContainerEntry, Ipam, NetworkEntry, StackIndex, Subnet


@dataclass(frozen=True)
class Static:
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


def static_addresses(index: StackIndex, unknowns: list[str]) -> list[Static]:
    """Static IPv4 and IPv6 addresses on networks of the stack; unknowns noted."""
    found: list[Static] = []
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
                found.append(Static(container, network, address, version))
    return found


def _subnets_unknown(network: NetworkEntry) -> bool:
    return network.ipams_unknown or any(isinstance(i.subnet_text, Unknown) for i in network.ipams)


def _subnet_required(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for static in static_addresses(index, unknowns):
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


def containing(network: NetworkEntry, address: Address) -> Ipam | None:
    for ipam in network.ipams:
        subnet = ipam.subnet
        if subnet is not None and subnet.version == address.version and address in subnet:
            return ipam
    return None


def effective_range(ipam: Ipam) -> Subnet | None:
    """The ipRange as the engine uses it: None when absent or of another IP version."""
    subnet, ip_range = ipam.subnet, ipam.ip_range
    if subnet is None or ip_range is None or ip_range.version != subnet.version:
        return None
    return ip_range


def _static_in_subnet(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    taken: dict[tuple[str, Address], ContainerEntry] = {}
    for static in static_addresses(index, unknowns):
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
        ipam = containing(network, address)
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
        ip_range = effective_range(ipam)
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
