"""The stack's target, chosen once from `topology.target`: one Docker engine, or a swarm.

Every part of the loader and the builder that differs between the two asks the target object
(`target_of(config)`) instead of comparing the target's name: which network driver a network
gets by default, whether overlay networks exist, what a service's config may hold, which
component spec a service becomes, and which application registers the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pulumi

from ..application import ENGINE, Application, ApplicationArgs
from ..checking import vouched
from ..images import ImageSet
from ..problems import Location, Problem
from ..service import ServiceSpec
from ..services.graph import Target, graph_problems
from ..swarm import (
    NO_JOINED_NAMESPACE,
    NO_LOOPBACK,
    NO_STATIC_ADDRESS,
    SWARM,
    SwarmApplication,
    SwarmApplicationArgs,
    SwarmServiceSpec,
    local_network_reason,
    network_mode_reason,
)
from ..vocabulary import NETWORK_DRIVERS, NetworkDriver, target_drivers
from .args import NetworkLookup, service_spec, swarm_service_spec
from .schema import ServiceConfig, TopologyConfig


class StackTarget:
    """Where a stack's services run: what the loader and the builder ask of a target."""

    name: ClassVar[str]
    """The value of `topology.target`."""
    swarm_networks: ClassVar[bool]
    """Whether the stack may have networks scoped to a swarm (overlays)."""
    services_on_engine: ClassVar[bool]
    """Whether the services are containers the engine runs (so their ports, addresses and
    images are the engine's), rather than services the swarm schedules."""
    services: ClassVar[Target]
    """The component target the services are placed on."""

    @property
    def default_driver(self) -> str:
        """The driver of a network that names none (the first of the target's drivers)."""
        return target_drivers(self.name)[0]

    def network_problems(self, at: Location, driver: NetworkDriver) -> list[Problem]:
        """What the target refuses of a network with `driver` (at config path `at`)."""
        return []

    def service_problems(
        self, config: TopologyConfig, at: Location, service: ServiceConfig
    ) -> list[Problem]:
        """What a service's config holds that the target's services cannot have."""
        return []

    def spec(self, key: str, service: ServiceConfig, network: NetworkLookup) -> ServiceSpec:
        """The component spec of a configured service."""
        raise NotImplementedError

    def graph_problems(
        self, specs: Mapping[str, ServiceSpec], application: str
    ) -> tuple[list[Problem], list[str]]:
        """The services' problems and the graph's on this target, and their order."""
        return graph_problems(specs, application, self.services)

    def application(
        self, name: str, specs: Mapping[str, ServiceSpec], images: ImageSet
    ) -> pulumi.ComponentResource:
        """The application that registers the services."""
        raise NotImplementedError


class EngineStack(StackTarget):
    """One Docker engine: services are containers, networks are bridges."""

    name = "engine"
    swarm_networks = False
    services_on_engine = True
    services = ENGINE

    def network_problems(self, at: Location, driver: NetworkDriver) -> list[Problem]:
        if not driver.swarm_scoped:
            return []
        article = "an" if driver.name[:1] in "aeiou" else "a"
        return [
            Problem(
                (*at, "driver"),
                f'{article} {driver.name} network needs a swarm; set target "swarm", or use '
                f'driver "{self.default_driver}" on one engine',
                "incompatible",
            )
        ]

    def service_problems(
        self, config: TopologyConfig, at: Location, service: ServiceConfig
    ) -> list[Problem]:
        if service.deploy is None:
            return []
        return [
            Problem(
                (*at, "deploy"),
                'applies to swarm services; set target "swarm", or remove it',
                "incompatible",
            )
        ]

    def spec(self, key: str, service: ServiceConfig, network: NetworkLookup) -> ServiceSpec:
        return service_spec(key, service, network)

    def application(
        self, name: str, specs: Mapping[str, ServiceSpec], images: ImageSet
    ) -> pulumi.ComponentResource:
        return Application(name, vouched(ApplicationArgs(services=specs, images=images)))


class SwarmStack(StackTarget):
    """A swarm: services are swarm services, networks are overlays; joined groups and static
    containers stay plain containers of one engine."""

    name = "swarm"
    swarm_networks = True
    services_on_engine = False
    services = SWARM

    def service_problems(
        self, config: TopologyConfig, at: Location, service: ServiceConfig
    ) -> list[Problem]:
        problems: list[Problem] = []
        if service.sidecars:
            problems.append(Problem((*at, "sidecars"), NO_JOINED_NAMESPACE, "unsupported"))
        if service.network_mode is not None:
            problems.append(
                Problem((*at, "network_mode"), network_mode_reason(service.network_mode))
            )
        if service.loopback_ports:
            problems.append(Problem((*at, "loopback_ports"), NO_LOOPBACK))
        for net, attachment in service.networks.items():
            where = (*at, "networks", net)
            args = config.networks.get(net)
            if args is not None and not args.external:
                driver = network_driver(config, net)
                if not driver.swarm_scoped:
                    reason = local_network_reason(args.network_name or net, driver.name)
                    problems.append(Problem(where, reason))
            if attachment is None:
                continue
            for attr in ("ipv4_address", "ipv6_address"):
                if getattr(attachment, attr) is not None:
                    problems.append(Problem((*where, attr), NO_STATIC_ADDRESS, "unsupported"))
        return problems

    def spec(self, key: str, service: ServiceConfig, network: NetworkLookup) -> SwarmServiceSpec:
        return swarm_service_spec(key, service, network)

    def application(
        self, name: str, specs: Mapping[str, ServiceSpec], images: ImageSet
    ) -> pulumi.ComponentResource:
        swarm = {k: s for k, s in specs.items() if isinstance(s, SwarmServiceSpec)}
        return SwarmApplication(name, vouched(SwarmApplicationArgs(swarm)))


TARGETS: dict[str, StackTarget] = {t.name: t for t in (EngineStack(), SwarmStack())}
"""Every target, by its `topology.target` value."""


def target_of(config: TopologyConfig) -> StackTarget:
    """The stack's target: the one place its name is read."""
    return TARGETS[config.target]


def network_driver(config: TopologyConfig, key: str) -> NetworkDriver:
    """The driver of a network of the config: its own, else the target's default."""
    args = config.networks[key]
    return NETWORK_DRIVERS[args.driver or target_of(config).default_driver]
