"""Address arithmetic for user-defined networks: checks and deterministic static addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .problems import Problem

AUTO = "auto"
"""The address value that asks the network to hand out a static address itself."""


def parse_ipv4_network(value: str) -> ipaddress.IPv4Network | str:
    """The network `value` names, or the reason it is not a usable IPv4 subnet."""
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return f'"{value}" is not a valid IPv4 network'
    if "/" not in value:
        return (
            f'"{value}" has no prefix length; write it as CIDR, e.g. "{network.network_address}/24"'
        )
    if str(network) != value:
        return f'"{value}" has host bits set; the network is "{network}"'
    if network.prefixlen > 30:
        return f'"{value}" is too small: a /{network.prefixlen} leaves no room for containers'
    return network


@lru_cache(maxsize=1 << 16)
def parse_ipv4_address(value: str) -> ipaddress.IPv4Address | str:
    """The address `value` names, or the reason it is not a valid IPv4 address (each text
    parsed once: a static address is checked by the loader, reserved, and checked again by its
    component)."""
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        return f'"{value}" is not a valid IPv4 address'


def network_problems(
    subnet: str,
    gateway: str | None,
    ip_range: str | None,
    aux_addresses: Mapping[str, str],
    ipv6_subnet: str | None,
) -> list[Problem]:
    """Everything wrong with a network's address settings."""
    parsed = parse_ipv4_network(subnet)
    if isinstance(parsed, str):
        return [Problem("subnet", parsed)]
    problems: list[Problem] = []
    if gateway is not None:
        reason = _host_problem(gateway, parsed)
        if reason:
            problems.append(Problem("gateway", reason))
    if ip_range is not None:
        rng = parse_ipv4_network(ip_range)
        if isinstance(rng, str):
            problems.append(Problem("ip_range", rng))
        elif not rng.subnet_of(parsed):
            problems.append(Problem("ip_range", f'"{ip_range}" is not inside the subnet {subnet}'))
    gateway_address = gateway or str(_first_host(parsed))
    for key, address in aux_addresses.items():
        reason = _host_problem(address, parsed)
        if reason is None and address == gateway_address:
            reason = f'"{address}" is the gateway'
        if reason:
            problems.append(Problem(("aux_addresses", key), reason))
    if ipv6_subnet is not None:
        try:
            ipaddress.IPv6Network(ipv6_subnet, strict=True)
        except ValueError:
            problems.append(Problem("ipv6_subnet", f'"{ipv6_subnet}" is not a valid IPv6 network'))
    return problems


def _first_host(network: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    return network.network_address + 1


def _host_problem(value: str, subnet: ipaddress.IPv4Network) -> str | None:
    address = parse_ipv4_address(value)
    if isinstance(address, str):
        return address
    if address not in subnet:
        return f'"{value}" is outside the subnet {subnet}'
    if address == subnet.network_address:
        return f'"{value}" is the network address of {subnet}'
    if address == subnet.broadcast_address:
        return f'"{value}" is the broadcast address of {subnet}'
    return None


@dataclass
class AddressPool:
    """The static addresses of one network: who holds which, and what is left to hand out.

    Handed-out addresses avoid the network, gateway and broadcast addresses and the auxiliary
    addresses. With an `ip_range` (the engine's pool for dynamic addresses) they come from
    outside it, lowest first; without one the engine hands out from the bottom of the subnet,
    so static addresses are taken from the top down, where a dynamic address is least likely.
    Each call is constant time on average: a cursor walks the subnet once.
    """

    subnet: ipaddress.IPv4Network
    """The network's IPv4 subnet."""
    gateway: ipaddress.IPv4Address
    """The gateway address (the first host when not configured)."""
    ip_range: ipaddress.IPv4Network | None = None
    """The engine's dynamic pool, if configured."""
    reserved: dict[ipaddress.IPv4Address, str] = field(default_factory=dict)
    """Addresses not to hand out, with what holds them."""
    _held: dict[str, ipaddress.IPv4Address] = field(default_factory=dict, repr=False)
    _cursor: int | None = field(default=None, repr=False)

    @classmethod
    def for_network(
        cls,
        subnet: str,
        gateway: str | None = None,
        ip_range: str | None = None,
        aux_addresses: Mapping[str, str] | None = None,
    ) -> AddressPool:
        """A pool for settings that `network_problems` found nothing wrong with."""
        network = ipaddress.IPv4Network(subnet)
        pool = cls(
            subnet=network,
            gateway=ipaddress.IPv4Address(gateway) if gateway else _first_host(network),
            ip_range=ipaddress.IPv4Network(ip_range) if ip_range else None,
        )
        for key, address in (aux_addresses or {}).items():
            pool.reserved[ipaddress.IPv4Address(address)] = f'auxiliary address "{key}"'
        return pool

    def request_problem(self, value: str, holder: str) -> str | None:
        """Why `holder` cannot have `value` as its static address, or None when it can."""
        reason = _host_problem(value, self.subnet)
        if reason:
            return reason
        address = parse_ipv4_address(value)
        if isinstance(address, str):  # refused by _host_problem already
            return address
        if address == self.gateway:
            return f'"{value}" is the gateway of {self.subnet}'
        owner = self.reserved.get(address)
        if owner is not None and owner != holder:
            return f'"{value}" is already taken by {owner}'
        return None

    def reserve(self, value: str, holder: str) -> str | None:
        """Give `value` to `holder`; the reason it cannot, or None on success."""
        reason = self.request_problem(value, holder)
        address = parse_ipv4_address(value)
        if reason is None and not isinstance(address, str):
            self.reserved[address] = holder
            self._held[holder] = address
        return reason

    def allocate(self, holder: str) -> str | None:
        """Hand `holder` the next free static address (the same one again if it has one).

        None when the subnet has no address left.
        """
        if holder in self._held:
            return str(self._held[holder])
        first = int(self.subnet.network_address) + 1
        last = int(self.subnet.broadcast_address) - 1
        upward = self.ip_range is not None
        cursor = self._cursor if self._cursor is not None else (first if upward else last)
        while first <= cursor <= last:
            address = ipaddress.IPv4Address(cursor)
            if self.ip_range is not None and address in self.ip_range:
                cursor = int(self.ip_range.broadcast_address) + 1
                continue
            cursor = cursor + 1 if upward else cursor - 1
            if address != self.gateway and address not in self.reserved:
                self._cursor = cursor
                self.reserved[address] = holder
                self._held[holder] = address
                return str(address)
        self._cursor = cursor
        return None
