"""An application: services that use all three ways at once, started in dependency order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from .attachment import images_for
from .checking import checked
from .container import ContainerSpec, port_conflicts
from .images import ImageSet, build_problems
from .problems import Location, Problem, raise_if_any
from .service import (
    BuiltService,
    ServiceSpec,
    address_problems,
    build_service,
    duplicate_dns_problems,
    service_container_name,
    service_problems,
)
from .services.graph import Condition, graph_problems, register_services, waited_for
from .vocabulary import APPLICATION_TYPE

TYPE = APPLICATION_TYPE

RESTARTS = ("always", "unless-stopped")
"""Restart policies under which the engine starts a container again whenever it exits."""


@dataclass(frozen=True)
class ApplicationArgs:
    """Services by key; `depends_on` names other keys of the same application."""

    services: Mapping[str, ServiceSpec]
    """The services by key (the container name unless the service sets `container_name`)."""
    images: ImageSet | None = None
    """A shared image set; the application pulls its own images when None."""


class Application(pulumi.ComponentResource):
    """Services on any number of networks, with sidecars, started in `depends_on` order.

    `service_started` makes a dependent wait until its dependency's container runs,
    `service_healthy` until its health check passes (the provider waits for healthy on
    create), `service_completed_successfully` until it has exited (the provider attaches and
    waits; the exit code is the dependency's `exit_code` output).
    """

    services: dict[str, BuiltService]
    """Each service's resources and names, by key."""
    dns_names: dict[str, dict[str, list[str]]]
    """For each network, the names that resolve to each container on it."""
    addresses: dict[str, dict[str, str]]
    """For each network, the static IPv4 address of each container that has one."""
    loopback_endpoints: dict[str, list[str]]
    """For each service with sidecars, what the sidecars reach on 127.0.0.1."""

    def __init__(
        self, name: str, args: ApplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        subject = f'application "{name}"'
        args = checked(subject, args, ApplicationArgs)
        problems, order = application_problems(args.services, name)
        problems += build_problems(
            (at, spec.image, spec.build) for at, spec in containers_of(args.services)
        )
        if not problems:
            problems = address_problems(
                (("services", key), key, spec) for key, spec in args.services.items()
            )
        raise_if_any(subject, problems)
        super().__init__(TYPE, name, None, opts)
        images = images_for(args.images, name, self)
        site = EngineSite(name, self, images, waited_for(args.services))
        self.services = register_services(args.services, order, site)
        self.dns_names = {}
        self.addresses = {}
        self.loopback_endpoints = {}
        for key in args.services:
            built = self.services[key]
            for network, names in built.dns_names.items():
                self.dns_names.setdefault(network, {})[built.container_name] = names
            for network, address in built.addresses.items():
                self.addresses.setdefault(network, {})[built.container_name] = address
            if built.loopback_endpoints:
                self.loopback_endpoints[key] = built.loopback_endpoints
        self.register_outputs(
            {
                "serviceKeys": list(args.services),
                "dnsNames": self.dns_names,
                "addresses": self.addresses,
                "loopbackEndpoints": self.loopback_endpoints,
            }
        )


def containers_of(
    services: Mapping[str, ServiceSpec],
) -> list[tuple[Location, ContainerSpec]]:
    """(argument path, spec) of every service and sidecar."""
    found: list[tuple[Location, ContainerSpec]] = []
    for key, spec in services.items():
        found.append((("services", key), spec))
        found += [(("services", key, "sidecars", s), c) for s, c in spec.sidecars.items()]
    return found


class EngineTarget:
    """One engine: each service is a container (with its sidecars' containers), reached by
    name on user-defined networks or at a static address, publishing ports on host
    addresses."""

    noun = "container"

    def names(self, key: str, spec: ServiceSpec, at: Location) -> list[tuple[str, Location]]:
        return [(service_container_name(key, spec), at), *((s, at) for s in spec.sidecars)]

    def service_problems(self, key: str, spec: ServiceSpec) -> list[Problem]:
        return service_problems(key, spec)

    def wait_problems(self, other: str, condition: Condition, dependency: ServiceSpec) -> list[str]:
        if condition == "service_completed_successfully" and dependency.restart in RESTARTS:
            return [
                f'waits for "{other}" to complete, but "{other}" has restart '
                f'"{dependency.restart}", so the engine starts it again each time it exits; '
                'give it restart "no" (or "on-failure")'
            ]
        return []

    def conflicts(self, services: Mapping[str, ServiceSpec]) -> list[Problem]:
        problems = duplicate_dns_problems((("services", k), k, s) for k, s in services.items())
        problems += port_conflicts((("services", k), s) for k, s in services.items())
        return problems


ENGINE = EngineTarget()
"""The single-engine target."""


@dataclass(frozen=True)
class EngineSite:
    """Where an `Application` registers its services on one engine: each service is its
    container and its sidecars' (`build_service`), named `<application>-<name>`."""

    application: str
    """The application's name: its resources' prefix and its containers' group."""
    parent: pulumi.Resource
    """The application component."""
    images: ImageSet
    """The images its containers run."""
    waited: Mapping[str, set[Condition]]
    """For each service, what its dependents wait for (`waited_for`)."""

    def register(
        self, key: str, spec: ServiceSpec, registered: Mapping[str, BuiltService]
    ) -> BuiltService:
        waited = self.waited.get(key, set())
        return build_service(
            self.application,
            key,
            spec,
            group=self.application,
            images=self.images,
            parent=self.parent,
            dependency=lambda other: registered[other].container,
            wait_healthy="service_healthy" in waited,
            run_to_completion="service_completed_successfully" in waited,
        )


def application_problems(
    services: Mapping[str, ServiceSpec], name: str
) -> tuple[list[Problem], list[str]]:
    """Each service's problems and the graph's on one engine, and the order to register the
    services in; `name` is the application's."""
    return graph_problems(services, name, ENGINE)
