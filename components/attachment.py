"""Attaching a container to a network: names that resolve on it and static addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import pulumi
import pulumi_docker as docker
import pydantic

from .addressing import AUTO, parse_ipv4_address
from .checking import Seq
from .container import WireAttachment
from .images import ImageSet, ImageSetArgs
from .naming import alias_problem, is_predefined_network
from .network import UserDefinedNetwork, no_subnet_reason
from .overlay import OverlayNetwork
from .problems import Problem

IFNAME_OPTION = "com.docker.network.endpoint.ifname"
"""The endpoint driver option that names the container's interface (as compose sets it)."""

NetworkRef = UserDefinedNetwork | docker.Network | str | pulumi.Output[str]
"""A network of this program (a `UserDefinedNetwork`, or a plain `docker.Network`, whose name
Output carries the dependency), or the engine name of one that exists already (a plain string,
or an Output such as a `StackReference` value: used, never created or deleted)."""


@dataclass(frozen=True)
class Attachment:
    """One network a container joins."""

    network: NetworkRef
    """The network: a `UserDefinedNetwork`, or the name of an existing network."""
    aliases: Seq[str] = ()
    """Extra DNS names for the container on this network."""
    ipv4_address: str | None = None
    """A static IPv4 address, `"auto"` for one handed out by the network, None for dynamic."""
    ipv6_address: str | None = None
    """A static IPv6 address on a network with an IPv6 subnet, None for dynamic."""
    gw_priority: int | None = None
    """Which network gives the container its default gateway: the highest priority wins
    (engine API 1.48 and later; an older engine ignores it)."""
    interface_name: str | None = None
    """The name of the container's interface on this network (engine v28.1 and later; an
    older engine ignores it and calls the interface ethN)."""


def _as_attachment(value: Any) -> Any:
    """A network given on its own is an attachment to it with no aliases or address."""
    if isinstance(value, UserDefinedNetwork | docker.Network | str | pulumi.Output):
        return Attachment(value)
    return value


if TYPE_CHECKING:
    AttachmentInput = Attachment | NetworkRef
    """An `Attachment`, or a network on its own (`networks=[net]` for `[Attachment(net)]`)."""
else:  # checked as an attachment once a network on its own is made one
    AttachmentInput = Annotated[Attachment, pydantic.BeforeValidator(_as_attachment)]


def attachments(given: Sequence[Attachment | NetworkRef]) -> tuple[Attachment, ...]:
    """`given` with each network given on its own made an `Attachment`."""
    return tuple(a if isinstance(a, Attachment) else Attachment(a) for a in given)


def network_name(network: NetworkRef) -> str | pulumi.Output[str]:
    """The engine name of `network`."""
    if isinstance(network, UserDefinedNetwork):
        return network.network_name
    if isinstance(network, docker.Network):
        return network.name
    return network


def attachment_problems(attachment: Attachment) -> list[Problem]:
    """What the engine would refuse, or silently not do, about an attachment."""
    name = network_name(attachment.network)
    problems: list[Problem] = []
    if isinstance(name, str) and name in {"host", "none", "default"}:
        return [
            Problem(
                "network",
                f'"{name}" cannot be attached to like a network (the engine refuses to connect '
                f'a container to it); use network_mode "{"bridge" if name == "default" else name}"'
                " instead",
            )
        ]
    if isinstance(name, str) and is_predefined_network(name):
        if attachment.aliases:
            problems.append(
                Problem(
                    "aliases",
                    f'network "{name}" is predefined, and aliases work only on user-defined '
                    "networks; attach to a UserDefinedNetwork",
                )
            )
        for attr in ("ipv4_address", "ipv6_address"):
            if getattr(attachment, attr) is not None:
                problems.append(
                    Problem(
                        attr,
                        f'network "{name}" is predefined, and static addresses work only on '
                        "user-defined networks with a configured subnet; "
                        "attach to a UserDefinedNetwork",
                    )
                )
    elif isinstance(attachment.network, UserDefinedNetwork):
        net = attachment.network
        if isinstance(net, OverlayNetwork) and not net.attachable:
            problems.append(Problem("network", not_attachable_reason(net.network_name)))
        if attachment.ipv4_address is not None and net.subnet is None:
            problems.append(Problem("ipv4_address", no_subnet_reason(net.network_name)))
        if attachment.ipv6_address is not None:
            problems += ipv6_problems(attachment.ipv6_address, net.ipv6_subnet, net.network_name)
    else:
        if attachment.ipv4_address == AUTO:
            shown = (
                f'network "{name}" is external'
                if isinstance(name, str)
                else "a network given as a docker.Network or an Output has no address pool here"
            )
            problems.append(
                Problem(
                    "ipv4_address",
                    f'"auto" needs a UserDefinedNetwork to hand out addresses; {shown}, so give '
                    "the address itself",
                )
            )
        elif attachment.ipv4_address is not None:
            reason = parse_ipv4_address(attachment.ipv4_address)
            if isinstance(reason, str):
                problems.append(Problem("ipv4_address", reason))
        if attachment.ipv6_address is not None:
            try:
                ipaddress.IPv6Address(attachment.ipv6_address)
            except ValueError:
                problems.append(
                    Problem(
                        "ipv6_address",
                        f'"{attachment.ipv6_address}" is not a valid IPv6 address',
                    )
                )
    for index, alias in enumerate(attachment.aliases):
        reason_text = alias_problem(alias)
        if reason_text:
            problems.append(Problem(("aliases", index), reason_text))
    return problems


def not_attachable_reason(network: str) -> str:
    """Why a standalone container cannot join an overlay network created without attachable."""
    return (
        f'overlay network "{network}" is not attachable, and the engine refuses standalone '
        f'containers on it ("network {network} not manually attachable"); make it attachable'
    )


def ipv6_problems(address: str, subnet: str | None, network: str) -> list[Problem]:
    """What keeps `address` from being a static IPv6 address on a network with `subnet`."""
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return [Problem("ipv6_address", f'"{address}" is not a valid IPv6 address')]
    if subnet is None:
        return [
            Problem(
                "ipv6_address",
                f'network "{network}" has no IPv6 subnet, so the engine gives it no IPv6 '
                "addresses; give the network an ipv6_subnet",
            )
        ]
    if parsed not in ipaddress.IPv6Network(subnet):
        return [Problem("ipv6_address", f'"{address}" is outside {subnet} of "{network}"')]
    return []


def resolve(attachment: Attachment, holder: str) -> tuple[WireAttachment, list[pulumi.Resource]]:
    """The wire attachment and what it depends on."""
    address = attachment.ipv4_address
    depends: list[pulumi.Resource] = []
    if isinstance(attachment.network, UserDefinedNetwork):
        depends.append(attachment.network)
        if address is not None:
            address = attachment.network.assign(holder, address)
    wire = WireAttachment(
        network=network_name(attachment.network),
        aliases=tuple(attachment.aliases),
        ipv4_address=address,
        ipv6_address=attachment.ipv6_address,
        gw_priority=attachment.gw_priority,
        driver_opts={IFNAME_OPTION: attachment.interface_name} if attachment.interface_name else {},
    )
    return wire, depends


def images_for(images: ImageSet | None, name: str, parent: pulumi.Resource) -> ImageSet:
    """The shared image set, or a private one for a component used on its own."""
    if images is not None:
        return images
    return ImageSet(f"{name}-images", ImageSetArgs(), pulumi.ResourceOptions(parent=parent))
