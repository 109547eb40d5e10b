"""A container with a fixed IPv4 address on a user-defined network."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from .addressing import AUTO
from .attachment import Attachment, NetworkRef, images_for, network_name
from .checking import Seq, checked
from .container import ContainerSpec, port_conflicts, spec_as
from .images import ImageSet
from .problems import Problem, raise_if_any
from .service import ServiceSpec, address_problems, build_service, service_problems
from .vocabulary import STATIC_IP_CONTAINER_TYPE

TYPE = STATIC_IP_CONTAINER_TYPE


@dataclass(frozen=True)
class StaticIpContainerArgs:
    """A container reached by a fixed address."""

    network: NetworkRef
    """The user-defined network with a configured subnet that holds the address."""
    container: ContainerSpec
    """The container itself."""
    ipv4_address: str = AUTO
    """The address, or `"auto"` for the network's next free one."""
    container_name: str | None = None
    """The container's name on the engine; the component's name when None."""
    aliases: Seq[str] = ()
    """Extra DNS names on the network."""
    images: ImageSet | None = None
    """A shared image set; the container pulls its own image when None."""


def static_service(container_name: str, args: StaticIpContainerArgs) -> ServiceSpec:
    """The container as the service it is: one attachment with a static address."""
    attachment = Attachment(args.network, args.aliases, args.ipv4_address)
    return spec_as(
        ServiceSpec, args.container, container_name=container_name, networks=(attachment,)
    )


class StaticIpContainer(pulumi.ComponentResource):
    """A container with a fixed IPv4 address, as `docker run --network N --ip A` makes it."""

    container_name: str
    """The container's name."""
    network_name: str | pulumi.Output[str]
    """The network holding the address."""
    ip_address: str
    """The container's static address (known before deployment)."""
    container: docker.Container
    """The container resource."""

    def __init__(
        self, name: str, args: StaticIpContainerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = checked(f'static container "{name}"', args, StaticIpContainerArgs)
        container_name = args.container_name or name
        service = static_service(container_name, args)
        problems = static_problems(container_name, args, service)
        if not problems:
            found = address_problems([((), container_name, service)])
            problems = [p.without(("networks", 0)) for p in found]
        raise_if_any(f'static container "{container_name}"', problems)
        self.container_name = container_name
        self.network_name = network_name(args.network)
        super().__init__(TYPE, name, None, opts)
        built = build_service(
            name,
            container_name,
            service,
            group=name,
            images=images_for(args.images, name, self),
            parent=self,
            roles=("static", "static"),
        )
        self.ip_address = next(iter(built.addresses.values()), "")
        self.container = built.container
        self.register_outputs(
            {
                "containerName": self.container_name,
                "networkName": self.network_name,
                "ipAddress": self.ip_address,
            }
        )


def static_problems(
    container_name: str, args: StaticIpContainerArgs, service: ServiceSpec | None = None
) -> list[Problem]:
    """What would keep the container from getting its address (`service`: the container as a
    service, when the caller has it already)."""
    if service is None:
        service = static_service(container_name, args)
    return [
        p.without(("networks", 0)) for p in service_problems(container_name, service)
    ] + port_conflicts([((), args.container)])
