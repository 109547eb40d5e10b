"""A container with a fixed IPv4 address on a user-defined network."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.addressing import AUTO
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
from components.problems import Problem, raise_if_any

TYPE = "container-comms:index:StaticIpContainer"


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
    aliases: tuple[str, ...] = ()
    """Extra DNS names on the network."""
    images: ImageSet | None = None
    """A shared image set; the container pulls its own image when None."""


class StaticIpContainer(pulumi.ComponentResource):
    """A container with a fixed IPv4 address, as `docker run --network N --ip A` makes it."""

    container_name: str
    """The container's name."""
    network_name: str
    """The network holding the address."""
    ip_address: str
    """The container's static address (known before deployment)."""
    container: docker.Container
    """The container resource."""

    def __init__(
        self, name: str, args: StaticIpContainerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        container_name = args.container_name or name
        raise_if_any(f'static container "{container_name}"', static_problems(container_name, args))
        self.container_name = container_name
        self.network_name = network_name(args.network)
        super().__init__(
            TYPE,
            name,
            {"containerName": container_name, "network": self.network_name},
            opts,
        )
        images = images_for(args.images, name, self)
        attachment, depends = resolve(
            Attachment(args.network, args.aliases, args.ipv4_address),
            f'container "{container_name}"',
        )
        self.ip_address = attachment[2] or ""
        self.container = build_container(
            f"{name}-container",
            container_name,
            args.container,
            group=name,
            role="static",
            placement=Placement(attachments=(attachment,)),
            images=images,
            parent=self,
            depends_on=depends,
        )
        self.register_outputs(
            {
                "containerName": self.container_name,
                "networkName": self.network_name,
                "ipAddress": self.ip_address,
            }
        )


def static_problems(container_name: str, args: StaticIpContainerArgs) -> list[Problem]:
    """What would keep the container from getting its address."""
    attachment = Attachment(args.network, args.aliases, args.ipv4_address)
    return [
        *name_problems("container_name", container_name),
        *spec_problems(args.container),
        *attachment_problems(attachment),
    ]
