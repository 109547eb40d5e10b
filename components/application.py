"""An application: services that use all three ways at once, started in dependency order."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from .attachment import images_for
from .checking import checked
from .container import ContainerSpec, port_conflicts
from .images import ImageSet, build_problems
from .problems import Problem, raise_if_any
from .service import (
    BuiltService,
    Condition,
    ServiceSpec,
    address_problems,
    build_service,
    child_name,
    duplicate_dns_problems,
    service_container_name,
    service_problems,
)
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
                (f"services.{key}.", key, spec) for key, spec in args.services.items()
            )
        raise_if_any(subject, problems)
        super().__init__(TYPE, name, {"serviceKeys": list(args.services)}, opts)
        images = images_for(args.images, name, self)
        waited = waited_for(args.services)
        self.services = {}

        def container(key: str) -> docker.Container:
            return self.services[key].container

        for key in order:
            self.services[key] = build_service(
                name,
                key,
                args.services[key],
                group=name,
                images=images,
                parent=self,
                dependency=container,
                wait_healthy="service_healthy" in waited.get(key, ()),
                run_to_completion="service_completed_successfully" in waited.get(key, ()),
            )
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
                "dnsNames": self.dns_names,
                "addresses": self.addresses,
                "loopbackEndpoints": self.loopback_endpoints,
            }
        )


def containers_of(services: Mapping[str, ServiceSpec]) -> list[tuple[str, ContainerSpec]]:
    """(argument path, spec) of every service and sidecar."""
    found: list[tuple[str, ContainerSpec]] = []
    for key, spec in services.items():
        found.append((f"services.{key}", spec))
        found += [(f"services.{key}.sidecars.{s}", c) for s, c in spec.sidecars.items()]
    return found


def waited_for(services: Mapping[str, ServiceSpec]) -> dict[str, set[Condition]]:
    """For each service, the conditions its dependents wait for."""
    waited: dict[str, set[Condition]] = {}
    for spec in services.values():
        wanted = [spec.depends_on, *(s.depends_on for s in spec.sidecars.values())]
        for depends in wanted:
            for other, condition in depends.items():
                waited.setdefault(other, set()).add(condition)
    return waited


def application_problems(
    services: Mapping[str, ServiceSpec], name: str
) -> tuple[list[Problem], list[str]]:
    """Each service's problems and the graph's (unknown or cyclic dependencies, names taken
    twice), and the order to register the services in; `name` is the application's."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    resources: dict[str, str] = {}
    graph: dict[str, set[str]] = {}
    for key, spec in services.items():
        at = f"services.{key}"
        problems += [p.under(at) for p in service_problems(key, spec)]
        for container in [service_container_name(key, spec), *spec.sidecars]:
            first = names.setdefault(container, key)
            if first != key:
                problems.append(
                    Problem(at, f'container name "{container}" is also used by service "{first}"')
                )
                continue
            resource = child_name(name, container)
            holder = resources.setdefault(resource, container)
            if holder != container:
                problems.append(
                    Problem(
                        at,
                        f'container "{container}" would get the resource name "{resource}" of '
                        f'container "{holder}" in application "{name}"; rename one of them',
                    )
                )
        graph[key] = set()
        wanted = [("", spec.depends_on)]
        wanted += [(f"sidecars.{s}.", c.depends_on) for s, c in spec.sidecars.items()]
        for where, depends in wanted:
            for other, condition in depends.items():
                field = f"{at}.{where}depends_on.{other}"
                if other not in services:
                    known = ", ".join(k for k in services if k != key) or "none"
                    problems.append(
                        Problem(field, f'"{other}" is not a service here; services: {known}')
                    )
                    continue
                if other == key:
                    problems.append(Problem(field, "a service cannot wait for itself"))
                    continue
                graph[key].add(other)
                if condition == "service_healthy" and services[other].healthcheck is None:
                    problems.append(
                        Problem(
                            field,
                            f'waits for "{other}" to be healthy, but "{other}" has no '
                            "healthcheck; give it one or wait for service_started",
                        )
                    )
                restart = services[other].restart
                if condition == "service_completed_successfully" and restart in RESTARTS:
                    problems.append(
                        Problem(
                            field,
                            f'waits for "{other}" to complete, but "{other}" has restart '
                            f'"{restart}", so the engine starts it again each time it exits; '
                            'give it restart "no" (or "on-failure")',
                        )
                    )
    problems += duplicate_dns_problems((f"services.{k}", k, s) for k, s in services.items())
    problems += port_conflicts((f"services.{k}", s) for k, s in services.items())
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        problems.append(Problem("services", f"depends_on has a cycle: {cycle}; break it"))
        order = list(services)
    return problems, order
