"""Config values -> component arguments, written once for validation and for building.

The loader converts with networks given by engine name (to run the components' own checks
before anything exists); the builder converts with the `UserDefinedNetwork` components.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..attachment import Attachment, NetworkRef
from ..container import ContainerSpec, spec_as
from ..dns_group import DnsGroupArgs
from ..images import ImageSet
from ..joined_group import JoinedGroupArgs, Owner
from ..problems import Location
from ..service import ServiceSpec, Sidecar
from ..static_ip import StaticIpContainerArgs
from ..swarm import Deploy, SwarmServiceSpec
from .schema import (
    DnsGroupConfig,
    JoinedGroupConfig,
    ServiceConfig,
    StaticContainerConfig,
)

S = TypeVar("S", bound=ContainerSpec)
SpecMap = Callable[[Location, S], S]
"""(config path of a container, its spec) -> the spec to keep there."""

NetworkLookup = Callable[[str], NetworkRef]
"""Turns a network key of the config into what the components take."""


def dns_group_args(
    dns: DnsGroupConfig, network: NetworkLookup, images: ImageSet | None = None
) -> DnsGroupArgs:
    """The arguments of a `DnsGroup`."""
    return DnsGroupArgs(network=network(dns.network), members=dns.members, images=images)


def joined_group_args(
    joined: JoinedGroupConfig, network: NetworkLookup, images: ImageSet | None = None
) -> JoinedGroupArgs:
    """The arguments of a `JoinedGroup` (a sidecar's refused keys are left behind)."""
    owner = spec_as(
        Owner,
        joined.owner,
        networks=tuple(
            Attachment(network(a.network), a.aliases, a.ipv4_address, a.ipv6_address)
            for a in joined.owner.networks
        ),
        loopback_ports=joined.owner.loopback_ports,
    )
    sidecars = {
        name: spec_as(Sidecar, sidecar, monitor=sidecar.monitor, depends_on=sidecar.depends_on)
        for name, sidecar in joined.sidecars.items()
    }
    return JoinedGroupArgs(
        owner_name=joined.owner.name, owner=owner, sidecars=sidecars, images=images
    )


def static_args(
    static: StaticContainerConfig, network: NetworkLookup, images: ImageSet | None = None
) -> StaticIpContainerArgs:
    """The arguments of a `StaticIpContainer`."""
    return StaticIpContainerArgs(
        network=network(static.network),
        container=spec_as(ContainerSpec, static),
        ipv4_address=static.ipv4_address,
        aliases=static.aliases,
        images=images,
    )


def service_spec(key: str, service: ServiceConfig, network: NetworkLookup) -> ServiceSpec:
    """The component spec of a configured service (a sidecar's refused keys are left behind)."""
    return spec_as(
        ServiceSpec,
        service,
        container_name=service.container_name,
        networks=tuple(
            Attachment(
                network(net),
                a.aliases,
                a.ipv4_address,
                a.ipv6_address,
                gw_priority=a.gw_priority,
                interface_name=a.interface_name,
            )
            if a is not None
            else Attachment(network(net))
            for net, a in service.networks.items()
        ),
        network_mode=service.network_mode,
        sidecars={
            name: spec_as(Sidecar, s, monitor=s.monitor, depends_on=s.depends_on)
            for name, s in service.sidecars.items()
        },
        loopback_ports=service.loopback_ports,
        depends_on=service.depends_on,
    )


def swarm_service_spec(
    key: str, service: ServiceConfig, network: NetworkLookup
) -> SwarmServiceSpec:
    """The swarm service spec of a configured service: its service spec plus `deploy`, named
    by `container_name` (what a swarm service cannot have, the loader refuses first)."""
    return SwarmServiceSpec.of(service_spec(key, service, network), service.deploy or Deploy())
