"""Network rules on static addresses the engine may hand out dynamically first, to the stack's
containers without a static address on the same network."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._ipam import Address, Pool, implicit_gateway, never_given, range_inside
from ._ipam import pool as dynamic_pool
from ._props import (
    PREDEFINED_NETWORKS,
    Unknown,
    finish,
    flag,
    parse_address,
)
from ._stack import ContainerEntry, Ipam, StackIndex, Subnet
from .network_static_ips import Static, containing, effective_range, static_addresses


@dataclass(frozen=True)
class _Exposure:
    """A static IPv4 address inside the pool the engine hands out dynamically."""

    static: Static
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
    statics = [s for s in static_addresses(index, unknowns) if s.version == 4]
    dynamic, undecided = _dynamic_attachments(index)
    parsed: list[tuple[Static, Address, Ipam]] = []
    by_ipam: dict[int, list[int]] = {}
    for static in statics:
        address = parse_address(static.text)
        if address is None or address.version != 4:
            continue
        ipam = containing(static.network, address)
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
        ip_range = effective_range(ipam)
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
