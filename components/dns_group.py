"""Containers that reach each other by name through Docker's embedded DNS server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.attachment import (
    Attachment,
    NetworkRef,
    attachment_problems,
    images_for,
    network_name,
    resolve,
)
from components.container import (
    ContainerSpec,
    Placement,
    build_container,
    name_problems,
    spec_problems,
)
from components.images import ImageSet
from components.naming import is_predefined_network
from components.problems import Problem, raise_if_any

TYPE = "container-comms:index:DnsGroup"


@dataclass(frozen=True, kw_only=True)
class DnsMember(ContainerSpec):
    """A container of a DNS group: its spec plus the names and address it has on the network."""

    aliases: tuple[str, ...] = ()
    """Extra DNS names (network aliases) besides the container name."""
    ipv4_address: str | None = None
    """A static address, `"auto"` for one handed out by the network, None for dynamic."""


@dataclass(frozen=True)
class DnsGroupArgs:
    """Containers on one user-defined network, resolving each other by name."""

    network: NetworkRef
    """The user-defined network: names never resolve on `bridge`, `host` or `none`."""
    members: Mapping[str, DnsMember]
    """The members by container name (a pair is the two-member case)."""
    images: ImageSet | None = None
    """A shared image set; the group pulls its own images when None."""


class DnsGroup(pulumi.ComponentResource):
    """Named containers on one user-defined network, each reachable by name and aliases."""

    network_name: str
    """The network the members share."""
    dns_names: dict[str, list[str]]
    """For each member, the names that resolve to it: its container name, then aliases."""
    addresses: dict[str, str]
    """The static address of each member that has one."""
    containers: dict[str, docker.Container]
    """The members' container resources, by container name."""

    def __init__(
        self, name: str, args: DnsGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        raise_if_any(f'dns group "{name}"', dns_group_problems(args))
        self.network_name = network_name(args.network)
        super().__init__(
            TYPE, name, {"network": self.network_name, "members": list(args.members)}, opts
        )
        images = images_for(args.images, name, self)
        self.dns_names = {}
        self.addresses = {}
        self.containers = {}
        for member_name, member in args.members.items():
            attachment, depends = resolve(
                Attachment(args.network, member.aliases, member.ipv4_address),
                f'container "{member_name}"',
            )
            self.containers[member_name] = build_container(
                f"{name}-{member_name}",
                member_name,
                member,
                group=name,
                role="dns-member",
                placement=Placement(attachments=(attachment,)),
                images=images,
                parent=self,
                depends_on=depends,
            )
            self.dns_names[member_name] = [member_name, *member.aliases]
            if attachment[2] is not None:
                self.addresses[member_name] = attachment[2]
        self.register_outputs(
            {
                "networkName": self.network_name,
                "dnsNames": self.dns_names,
                "addresses": self.addresses,
            }
        )


def dns_group_problems(args: DnsGroupArgs) -> list[Problem]:
    """What keeps the members of a group from resolving each other by name."""
    name = network_name(args.network)
    if is_predefined_network(name):
        return [
            Problem(
                "network",
                f'"{name}" is a predefined network, where container names do not resolve '
                "(Docker's embedded DNS server answers only on user-defined networks); "
                "attach the group to a UserDefinedNetwork",
            )
        ]
    if not args.members:
        return [Problem("members", "is empty; a DNS group needs at least one container")]
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for member_name, member in args.members.items():
        at = f"members.{member_name}"
        problems += name_problems(at, member_name)
        problems += [p.under(at) for p in spec_problems(member)]
        attachment = Attachment(args.network, member.aliases, member.ipv4_address)
        problems += [p.under(at) for p in attachment_problems(attachment)]
        for index, dns_name in enumerate([member_name, *member.aliases]):
            holder = claimed.setdefault(dns_name, member_name)
            if holder != member_name:
                field = f"{at}.aliases[{index - 1}]" if index else f"{at}"
                problems.append(
                    Problem(field, f'"{dns_name}" already resolves to "{holder}" on "{name}"')
                )
    return problems
