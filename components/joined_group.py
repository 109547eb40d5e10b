"""An owner container and sidecars that share its network namespace and talk over loopback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from .attachment import AttachmentInput, images_for
from .checking import Int, Seq, checked
from .container import ContainerSpec, port_conflicts, spec_as
from .images import ImageSet
from .problems import Problem, raise_if_any
from .service import (
    SIDECAR_REASONS,
    ServiceSpec,
    Sidecar,
    address_problems,
    build_service,
    service_problems,
    sidecar_option_problem,
)
from .vocabulary import JOINED_GROUP_TYPE

TYPE = JOINED_GROUP_TYPE

__all__ = [
    "SIDECAR_REASONS",
    "JoinedGroup",
    "JoinedGroupArgs",
    "Owner",
    "Sidecar",
    "joined_group_problems",
    "sidecar_option_problem",
]


@dataclass(frozen=True, kw_only=True)
class Owner(ContainerSpec):
    """The container whose network namespace the sidecars join."""

    networks: Seq[AttachmentInput] = ()
    """Networks the owner (and so every sidecar) is on; the default bridge when empty."""
    loopback_ports: Seq[Int] = ()
    """Ports the owner serves on 127.0.0.1 to its sidecars, besides its published ones."""


@dataclass(frozen=True)
class JoinedGroupArgs:
    """An owner and the sidecars that share its network namespace."""

    owner_name: str
    """The owner's container name; sidecars join `container:<owner_name>`."""
    owner: Owner
    """The owner's spec and networks."""
    sidecars: Mapping[str, Sidecar]
    """The sidecars by container name."""
    images: ImageSet | None = None
    """A shared image set; the group pulls its own images when None."""


def owner_service(args: JoinedGroupArgs) -> ServiceSpec:
    """The group as the service it is: the owner, with the sidecars it owns."""
    return spec_as(
        ServiceSpec,
        args.owner,
        container_name=args.owner_name,
        networks=args.owner.networks,
        sidecars=args.sidecars,
        loopback_ports=args.owner.loopback_ports,
    )


class JoinedGroup(pulumi.ComponentResource):
    """An owner container kept running, with sidecars reaching its services on 127.0.0.1."""

    owner_name: str
    """The owner's container name."""
    network_mode: str
    """The network mode of every sidecar: `container:<owner_name>`."""
    loopback_endpoints: list[str]
    """`127.0.0.1:<port>` for each service of the owner the sidecars reach."""
    owner_addresses: dict[str, str]
    """The owner's static address on each network where it has one."""
    owner_container: docker.Container
    """The owner's container resource."""
    sidecar_containers: dict[str, docker.Container]
    """The sidecars' container resources, by container name."""

    def __init__(
        self, name: str, args: JoinedGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = checked(f'joined group "{name}"', args, JoinedGroupArgs)
        service = owner_service(args)
        problems = joined_group_problems(args, service)
        if not problems:
            problems = address_problems([(("owner",), args.owner_name, service)])
        raise_if_any(f'joined group "{name}"', problems)
        super().__init__(TYPE, name, None, opts)
        built = build_service(
            name,
            args.owner_name,
            service,
            group=name,
            images=images_for(args.images, name, self),
            parent=self,
            roles=("joined-owner", "joined-sidecar"),
        )
        self.owner_name = args.owner_name
        self.network_mode = f"container:{args.owner_name}"
        self.owner_addresses = built.addresses
        self.owner_container = built.container
        self.sidecar_containers = built.sidecars
        ports = {*args.owner.loopback_ports, *(p.internal for p in args.owner.ports)}
        self.loopback_endpoints = [f"127.0.0.1:{port}" for port in sorted(ports)]
        self.register_outputs(
            {
                "ownerName": self.owner_name,
                "sidecars": list(args.sidecars),
                "networkMode": self.network_mode,
                "loopbackEndpoints": self.loopback_endpoints,
                "ownerAddresses": self.owner_addresses,
            }
        )


def joined_group_problems(
    args: JoinedGroupArgs, service: ServiceSpec | None = None
) -> list[Problem]:
    """What the engine would refuse, or silently ignore, in a joined group (`service`: the
    group as a service, when the caller has it already)."""
    problems = []
    if service is None:
        service = owner_service(args)
    for found in service_problems(args.owner_name, service):
        if found.path == ("container_name",):
            problems.append(found.at_path(("owner_name",)))
        else:
            problems.append(found if found.path[:1] == ("sidecars",) else found.under("owner"))
    problems += port_conflicts([(("owner",), args.owner)])
    for sidecar_name, sidecar in args.sidecars.items():
        if sidecar.depends_on:
            problems.append(
                Problem(
                    ("sidecars", sidecar_name, "depends_on"),
                    "names services to wait for, which only the sidecars of an Application's "
                    "services can; a joined group's sidecars wait for their owner only",
                )
            )
    return problems
