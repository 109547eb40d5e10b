"""How the engine's default IPAM driver lays out one subnet (engine 20.10, libnetwork).

What was seen on the engine, and what these helpers compute:
- the network address, and for IPv4 the broadcast address, are never handed out;
- without a `gateway`, the engine takes the lowest address it could hand out dynamically as the
  gateway: the first host of the subnet, or the first address of `ipRange` when one is given;
- dynamic addresses are the lowest free ones of the pool: `ipRange`, else the whole subnet;
- an `ipRange` that is not inside the subnet is accepted, and the engine keeps only its host
  part: `10.132.0.128/25` on `10.131.0.0/24` hands out `10.131.0.128` to `10.131.0.255`, and a
  range wider than the subnet hands out the whole subnet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Pool:
    """The addresses the engine hands out dynamically on one subnet: `first` to `last`."""

    subnet: Subnet
    """The subnet."""
    first: int
    """The lowest address of the pool, as an integer."""
    last: int
    """The highest address of the pool, as an integer."""

    def contains(self, address: Address) -> bool:
        """Whether the engine may hand `address` out dynamically."""
        return address.version == self.subnet.version and self.first <= int(address) <= self.last

    def shown(self) -> str:
        """`10.131.0.128 to 10.131.0.255`."""
        kind = ipaddress.ip_address
        return f"{kind(self.first)} to {kind(self.last)}"


def pool(subnet: Subnet, ip_range: Subnet | None) -> Pool:
    """The pool of `subnet` with `ip_range` as the engine applies it (of the same version)."""
    if ip_range is None:
        return Pool(subnet, int(subnet.network_address), int(subnet.broadcast_address))
    host = int(subnet.hostmask)
    base = int(subnet.network_address)
    first = base + (int(ip_range.network_address) & host)
    last = base + (int(ip_range.broadcast_address) & host)
    return Pool(subnet, first, last)


def never_given(subnet: Subnet) -> list[Address]:
    """The addresses the engine never hands out: the network and (IPv4) broadcast address."""
    if subnet.version == 4 and subnet.prefixlen < 31:
        return [subnet.network_address, subnet.broadcast_address]
    return [subnet.network_address]


def implicit_gateway(subnet: Subnet, ip_range: Subnet | None) -> Address | None:
    """The gateway the engine takes when none is given: the pool's lowest usable address."""
    span = pool(subnet, ip_range)
    reserved = {int(a) for a in never_given(subnet)}
    current = span.first
    while current <= span.last and current in reserved:
        current += 1
    if current > span.last:
        return None
    return ipaddress.ip_address(current)


def range_inside(subnet: Subnet, ip_range: Subnet) -> bool:
    """Whether `ip_range` lies inside `subnet` (both of one version)."""
    return ip_range.subnet_of(subnet)  # type: ignore[arg-type]
