"""A user-defined bridge network: the only kind on one engine on which container names resolve."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from .addressing import AUTO, AddressPool, network_problems
from .checking import checked
from .naming import is_predefined_network
from .problems import ComponentError, Problem, raise_if_any
from .vocabulary import MTU_OPTION, NAME_CHARS, NETWORK_DRIVERS, USER_DEFINED_NETWORK_TYPE

TYPE = USER_DEFINED_NETWORK_TYPE

_NETWORK_NAME = re.compile(f"{NAME_CHARS}*")  # matched whole, like Go's `^...$`


@dataclass(frozen=True)
class UserDefinedNetworkArgs:
    """A Docker bridge network with user-configured IPAM."""

    subnet: str | None = None
    """The IPv4 subnet in CIDR form, e.g. `172.22.16.0/24`; static addresses need it. None lets
    the engine choose one from its address pools."""
    network_name: str | None = None
    """The network's name on the engine; the component's name when None."""
    gateway: str | None = None
    """The gateway address; the subnet's first host when None."""
    ip_range: str | None = None
    """The pool the engine hands dynamic addresses from; static ones are kept outside it."""
    aux_addresses: Mapping[str, str] = field(default_factory=dict)
    """Addresses the engine must not hand out, by name."""
    internal: bool = False
    """Cut the network off from everything outside it."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the network."""
    ipv6_subnet: str | None = None
    """An IPv6 subnet in CIDR form, enabling IPv6 on the network."""
    ipv6_gateway: str | None = None
    """The IPv6 gateway; the engine picks the subnet's first address when None."""
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    """Options of the network's driver (`com.docker.network.bridge.name`, ...)."""
    ipam_driver: str | None = None
    """The IPAM driver that hands out the network's addresses; the engine's `default` when
    None."""


class UserDefinedNetwork(pulumi.ComponentResource):
    """A user-defined bridge network that also hands out static addresses deterministically."""

    network_name: str
    """The network's name on the engine (known before deployment)."""
    name: pulumi.Output[str]
    """The same name as an Output of the network resource: a resource that uses it depends on
    the network."""
    id: pulumi.Output[str]
    """The network's id on the engine."""
    subnet: str | None
    """The IPv4 subnet; None when the engine chooses it."""
    gateway: str | None
    """The gateway address; None when the engine chooses the subnet."""
    internal: bool
    """Whether the network is cut off from everything outside it."""
    driver: str
    """The network driver: a row of `NETWORK_DRIVERS` built by this component (`bridge` by
    default here, `overlay` for an `OverlayNetwork`)."""
    network: docker.Network
    """The docker network resource."""

    def __init__(
        self,
        name: str,
        args: UserDefinedNetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        driver: str | None = None,
    ) -> None:
        """`driver`: a driver whose row in `NETWORK_DRIVERS` names this component; its first
        such row (`bridge`) when None."""
        args = checked(f'network "{name}"', args, UserDefinedNetworkArgs)
        self._register(TYPE, name, args, opts, driver=driver)

    def _register(
        self,
        type_token: str,
        name: str,
        args: UserDefinedNetworkArgs,
        opts: pulumi.ResourceOptions | None,
        *,
        driver: str | None,
        attachable: bool | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        """Check `args` and `driver`, then register the component and its `docker.Network`
        (one builder for every driver)."""
        network_name = args.network_name or name
        drivers = drivers_of(type_token)
        driver = drivers[0] if driver is None else driver
        problems = network_args_problems(network_name, args)
        if driver not in drivers:
            component = type_token.rsplit(":", 1)[-1]
            problems.append(
                Problem(
                    "driver",
                    f"{json.dumps(driver)} is not a driver {component} builds; use "
                    f"{' or '.join(drivers)}",
                )
            )
        raise_if_any(f'network "{network_name}"', problems)
        super().__init__(type_token, name, None, opts)
        self.pool = (
            AddressPool.for_network(args.subnet, args.gateway, args.ip_range, args.aux_addresses)
            if args.subnet is not None
            else None
        )
        self.network_name = network_name
        self.driver = driver
        self.subnet = args.subnet
        self.gateway = str(self.pool.gateway) if self.pool is not None else None
        self.internal = args.internal
        self.ipv6_subnet = args.ipv6_subnet
        ipam = []
        if args.subnet is not None:
            ipam.append(
                docker.NetworkIpamConfigArgs(
                    subnet=args.subnet,
                    gateway=self.gateway,
                    ip_range=args.ip_range,
                    aux_address=dict(args.aux_addresses) or None,
                )
            )
        if args.ipv6_subnet:
            ipam.append(
                docker.NetworkIpamConfigArgs(subnet=args.ipv6_subnet, gateway=args.ipv6_gateway)
            )
        self.network = docker.Network(
            f"{name}-network",
            name=network_name,
            driver=driver,
            internal=args.internal,
            attachable=attachable,
            ipv6=bool(args.ipv6_subnet),
            ipam_configs=ipam or None,
            ipam_driver=args.ipam_driver,
            options={**args.driver_opts, **(options or {})} or None,
            labels=[docker.NetworkLabelArgs(label=k, value=v) for k, v in args.labels.items()]
            or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.network.id
        self.name = self.network.name
        self.register_outputs(
            {
                "networkName": self.network_name,
                "id": self.id,
                "subnet": self.subnet,
                "gateway": self.gateway,
            }
        )

    def assign(self, holder: str, requested: str) -> str:
        """The static address for `holder`: `requested`, or the next free one for `"auto"`.

        Raises `ComponentError` when the address is outside the subnet, is the network,
        gateway or broadcast address, or is already taken.
        """
        if self.pool is None:
            raise ComponentError(holder, [Problem("ipv4_address", self.no_subnet_reason())])
        if requested == AUTO:
            address = self.pool.allocate(holder)
            if address is None:
                raise ComponentError(
                    f'network "{self.network_name}"',
                    [Problem("subnet", f"{self.subnet} has no free address left for {holder}")],
                )
            return address
        reason = self.pool.reserve(requested, holder)
        if reason:
            raise ComponentError(holder, [Problem("ipv4_address", reason)])
        return requested

    def no_subnet_reason(self) -> str:
        """Why a static address cannot be had on this network when it has no subnet."""
        return no_subnet_reason(self.network_name)


def drivers_of(type_token: str) -> list[str]:
    """The drivers whose rows in `NETWORK_DRIVERS` name the component of `type_token`."""
    return [d.name for d in NETWORK_DRIVERS.values() if d.component == type_token]


def no_subnet_reason(network_name: str) -> str:
    """Why a static address cannot be had on a network created without a subnet."""
    return (
        f'network "{network_name}" has no configured subnet, and the engine gives static '
        "addresses only on networks with one; give the network a subnet"
    )


_ADDRESS_ATTRS = ("subnet", "gateway", "ip_range", "ipv6_subnet", "ipv6_gateway")
_MTU = re.compile(r"\+?[0-9]+")


def network_args_problems(network_name: str, args: UserDefinedNetworkArgs) -> list[Problem]:
    """What is wrong with a network's name and address settings."""
    problems: list[Problem] = []
    if is_predefined_network(network_name):
        problems.append(
            Problem(
                "network_name",
                f'"{network_name}" is a network the engine predefines; choose another name',
            )
        )
    elif not _NETWORK_NAME.fullmatch(network_name):
        problems.append(
            Problem(
                "network_name",
                f'"{network_name}" is not a valid network name: use letters, digits and _.- '
                "after a leading letter or digit",
            )
        )
    zoned = [a for a in _ADDRESS_ATTRS if "%" in (getattr(args, a, None) or "")]
    for attr in zoned:
        problems.append(
            Problem(
                attr,
                f"{json.dumps(getattr(args, attr))} has a %zone, which the engine refuses in a "
                "network's addresses; remove it",
            )
        )
    mtu = args.driver_opts.get(MTU_OPTION)
    if mtu is not None and not (_MTU.fullmatch(mtu) and len(mtu) <= 9):
        problems.append(
            Problem(
                ("driver_opts", MTU_OPTION),
                f"{json.dumps(mtu)} is not an MTU (a whole number of 0 or more, digits alone); "
                "the engine refuses the network",
            )
        )
    if zoned:
        return problems
    if args.ipv6_gateway is not None:
        problems += _ipv6_gateway_problems(args.ipv6_gateway, args.ipv6_subnet)
    if args.subnet is not None:
        problems += network_problems(
            args.subnet, args.gateway, args.ip_range, args.aux_addresses, args.ipv6_subnet
        )
    else:
        for attr in ("gateway", "ip_range", "aux_addresses"):
            if getattr(args, attr):
                problems.append(
                    Problem(attr, "needs a subnet to belong to; give the network a subnet")
                )
    return problems


def _ipv6_gateway_problems(gateway: str, subnet: str | None) -> list[Problem]:
    if subnet is None:
        return [Problem("ipv6_gateway", "needs an ipv6_subnet to belong to; give one")]
    try:
        address = ipaddress.IPv6Address(gateway)
        network = ipaddress.IPv6Network(subnet)
    except ValueError:
        return [Problem("ipv6_gateway", f'"{gateway}" is not a valid IPv6 address')]
    if address not in network:
        return [Problem("ipv6_gateway", f'"{gateway}" is outside {subnet}')]
    return []
