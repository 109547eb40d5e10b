"""Attaching a container to a network: names that resolve on it and a static address."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.addressing import AUTO, parse_ipv4_address
from components.images import ImageSet, ImageSetArgs
from components.naming import dns_name_problem, is_predefined_network
from components.network import UserDefinedNetwork
from components.problems import Problem

NetworkRef = UserDefinedNetwork | str
"""A network of this program, or the name of one that exists on the engine already."""


@dataclass(frozen=True)
class Attachment:
    """One network a container joins."""

    network: NetworkRef
    """The network: a `UserDefinedNetwork`, or the name of an existing network."""
    aliases: tuple[str, ...] = ()
    """Extra DNS names for the container on this network."""
    ipv4_address: str | None = None
    """A static IPv4 address, `"auto"` for one handed out by the network, None for dynamic."""


def network_name(network: NetworkRef) -> str:
    """The engine name of `network`."""
    return network.network_name if isinstance(network, UserDefinedNetwork) else network


def attachment_problems(attachment: Attachment) -> list[Problem]:
    """What the engine would refuse, or silently not do, about an attachment."""
    name = network_name(attachment.network)
    problems: list[Problem] = []
    if is_predefined_network(name):
        if attachment.aliases:
            problems.append(
                Problem(
                    "aliases",
                    f'network "{name}" is predefined, and aliases work only on user-defined '
                    "networks; attach to a UserDefinedNetwork",
                )
            )
        if attachment.ipv4_address is not None:
            problems.append(
                Problem(
                    "ipv4_address",
                    f'network "{name}" is predefined, and static addresses work only on '
                    "user-defined networks with a configured subnet; "
                    "attach to a UserDefinedNetwork",
                )
            )
    elif not isinstance(attachment.network, UserDefinedNetwork) and attachment.ipv4_address:
        if attachment.ipv4_address == AUTO:
            problems.append(
                Problem(
                    "ipv4_address",
                    f'"auto" needs a UserDefinedNetwork to hand out addresses; network "{name}" '
                    "is external, so give the address itself",
                )
            )
        else:
            reason = parse_ipv4_address(attachment.ipv4_address)
            if isinstance(reason, str):
                problems.append(Problem("ipv4_address", reason))
    for index, alias in enumerate(attachment.aliases):
        reason_text = dns_name_problem(alias)
        if reason_text:
            problems.append(Problem(f"aliases[{index}]", reason_text))
    return problems


def resolve(
    attachment: Attachment, holder: str
) -> tuple[tuple[str, tuple[str, ...], str | None], list[pulumi.Resource]]:
    """The wire attachment (network name, aliases, address) and what it depends on."""
    address = attachment.ipv4_address
    depends: list[pulumi.Resource] = []
    if isinstance(attachment.network, UserDefinedNetwork):
        depends.append(attachment.network)
        if address is not None:
            address = attachment.network.assign(holder, address)
    return (network_name(attachment.network), attachment.aliases, address), depends


def images_for(images: ImageSet | None, name: str, parent: pulumi.Resource) -> ImageSet:
    """The shared image set, or a private one for a component used on its own."""
    if images is not None:
        return images
    return ImageSet(f"{name}-images", ImageSetArgs(), pulumi.ResourceOptions(parent=parent))
