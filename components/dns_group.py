"""Containers that reach each other by name through Docker's embedded DNS server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from .attachment import Attachment, NetworkRef, images_for, network_name
from .checking import Seq, checked
from .container import ContainerSpec, port_conflicts, spec_as
from .images import ImageSet
from .naming import is_predefined_network
from .problems import Location, Problem, raise_if_any
from .service import (
    ServiceSpec,
    address_problems,
    build_service,
    duplicate_dns_problems,
    service_problems,
)
from .vocabulary import DNS_GROUP_TYPE

TYPE = DNS_GROUP_TYPE


@dataclass(frozen=True, kw_only=True)
class DnsMember(ContainerSpec):
    """A container of a DNS group: its spec plus the names and addresses it has there."""

    aliases: Seq[str] = ()
    """Extra DNS names (network aliases) besides the container name."""
    ipv4_address: str | None = None
    """A static address, `"auto"` for one handed out by the network, None for dynamic."""
    ipv6_address: str | None = None
    """A static IPv6 address on a network with an IPv6 subnet, None for dynamic."""


@dataclass(frozen=True)
class DnsGroupArgs:
    """Containers on one user-defined network, resolving each other by name."""

    network: NetworkRef
    """The user-defined network: names never resolve on `bridge`, `host` or `none`."""
    members: Mapping[str, DnsMember]
    """The members by container name (a pair is the two-member case)."""
    images: ImageSet | None = None
    """A shared image set; the group pulls its own images when None."""


def member_service(network: NetworkRef, member: DnsMember) -> ServiceSpec:
    """A member as the service it is: one attachment to the group's network."""
    attachment = Attachment(network, member.aliases, member.ipv4_address, member.ipv6_address)
    return spec_as(ServiceSpec, member, networks=(attachment,))


Members = list[tuple[Location, str, ServiceSpec]]
"""Each member as a service: (its path in the arguments, its container name, its spec)."""


def member_services(args: DnsGroupArgs) -> Members:
    """Every member of a group as the service it is."""
    return [
        (("members", m), m, member_service(args.network, member))
        for m, member in args.members.items()
    ]


class DnsGroup(pulumi.ComponentResource):
    """Named containers on one user-defined network, each reachable by name and aliases."""

    network_name: str | pulumi.Output[str]
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
        args = checked(f'dns group "{name}"', args, DnsGroupArgs)
        services = member_services(args)
        problems = dns_group_problems(args, services)
        if not problems:
            problems = [p.without(("networks", 0), at=2) for p in address_problems(services)]
        raise_if_any(f'dns group "{name}"', problems)
        self.network_name = network_name(args.network)
        super().__init__(TYPE, name, None, opts)
        images = images_for(args.images, name, self)
        self.dns_names = {}
        self.addresses = {}
        self.containers = {}
        for (_, member_name, service), member in zip(services, args.members.values(), strict=True):
            built = build_service(
                name,
                member_name,
                service,
                group=name,
                images=images,
                parent=self,
                roles=("dns-member", "dns-member"),
            )
            self.containers[member_name] = built.container
            self.dns_names[member_name] = [member_name, *member.aliases]
            for address in built.addresses.values():
                self.addresses[member_name] = address
        self.register_outputs(
            {
                "networkName": self.network_name,
                "dnsNames": self.dns_names,
                "addresses": self.addresses,
            }
        )


def dns_group_problems(args: DnsGroupArgs, services: Members | None = None) -> list[Problem]:
    """What keeps the members of a group from resolving each other by name (`services`: its
    members as services, when the caller has them already)."""
    name = network_name(args.network)
    if isinstance(name, str) and is_predefined_network(name):
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
    if services is None:
        services = member_services(args)
    for at, member_name, spec in services:
        for problem in service_problems(member_name, spec):
            problems.append(problem.without(("networks", 0)).under(*at))
    for problem in duplicate_dns_problems(services):
        problems.append(problem.without(("networks", 0), at=2))
    problems += port_conflicts((("members", m), member) for m, member in args.members.items())
    return problems
