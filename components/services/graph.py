"""The application graph: services by key, what each waits for, the order they are created in,
the names they take, and the ports they publish, whatever runs them.

A target (one engine, or a swarm) places the services: it says what it calls a service's
name, what it refuses of one service, of one network attachment and of one wait, and which
published ports clash on it. The graph's own checks (unknown, self and cyclic `depends_on`,
a name or resource name taken twice, a network attached twice) are written once, here.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from ..attachment import Attachment, AttachmentInput, attachments, network_name
from ..problems import Location, Problem

if TYPE_CHECKING:
    from ..service import ServiceSpec

Spec_contra = TypeVar("Spec_contra", bound="ServiceSpec", contravariant=True)
Spec = TypeVar("Spec", bound="ServiceSpec")
Built = TypeVar("Built")

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
"""When a dependent may start: once the dependency runs, is healthy, or has exited."""


class Target(Protocol):
    """Where an application's services run, and what that place refuses of them."""

    noun: str
    """What one of its services is on the engine: `container` or `service`."""

    def names(self, key: str, spec: ServiceSpec, at: Location) -> list[tuple[str, Location]]:
        """Every engine name the service takes (its own, its sidecars'), each with the argument
        path a clash is placed at (`at` is the service's)."""
        ...

    def service_problems(self, key: str, spec: ServiceSpec) -> list[Problem]:
        """What the target refuses, or silently gets wrong, about one service."""
        ...

    def wait_problems(self, other: str, condition: Condition, dependency: ServiceSpec) -> list[str]:
        """Why the target cannot wait for `other` (the `dependency`) in that way."""
        ...

    def conflicts(self, services: Mapping[str, ServiceSpec]) -> list[Problem]:
        """What the services claim twice on the target (published ports, and on one engine
        names on a network), placed at the later claim."""
        ...


class Site(Protocol[Spec_contra, Built]):
    """Where one application's services are registered on its target: the application's name,
    its component, and what the target registers for a service."""

    def register(self, key: str, spec: Spec_contra, registered: Mapping[str, Built]) -> Built:
        """Register the resources of service `key` (a `docker.Container` with its sidecars'
        on one engine, a `docker.Service` on a swarm); `registered` holds every service
        created before it, so every service it waits for."""
        ...


def register_services(
    services: Mapping[str, Spec], order: Sequence[str], site: Site[Spec, Built]
) -> dict[str, Built]:
    """Register each service on `site`, in `order` (from `graph_problems`): a service is
    created after every service it waits for. The one creation path of every application."""
    registered: dict[str, Built] = {}
    for key in order:
        registered[key] = site.register(key, services[key], registered)
    return registered


def child_name(prefix: str, name: str) -> str:
    """A child resource's name: `<prefix>-<name>`, without repeating a prefix the name has
    (`edge` + `edge-web` is `edge-web`; `web` + `web` is `web-container`)."""
    if name == prefix:
        return f"{prefix}-container"
    if name.startswith(f"{prefix}-"):
        return name
    return f"{prefix}-{name}"


def waits(spec: ServiceSpec) -> list[tuple[Location, Mapping[str, Condition]]]:
    """What a service and each of its sidecars wait for, with the argument path (relative to
    the service) of each `depends_on`."""
    found: list[tuple[Location, Mapping[str, Condition]]] = [(("depends_on",), spec.depends_on)]
    found += [(("sidecars", s, "depends_on"), c.depends_on) for s, c in spec.sidecars.items()]
    return found


def waited_for(services: Mapping[str, ServiceSpec]) -> dict[str, set[Condition]]:
    """For each service, the conditions its dependents wait for."""
    waited: dict[str, set[Condition]] = {}
    for spec in services.values():
        for _where, depends in waits(spec):
            for other, condition in depends.items():
                waited.setdefault(other, set()).add(condition)
    return waited


def network_problems(
    networks: Sequence[AttachmentInput], check: Callable[[Attachment], list[Problem]]
) -> list[Problem]:
    """Each attachment's problems (as `check` finds them) at `networks[i]`, and a network
    attached twice."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, attachment in enumerate(attachments(networks)):
        at = ("networks", index)
        problems += [p.under(*at) for p in check(attachment)]
        net = network_name(attachment.network)
        if isinstance(net, str):
            if net in seen:
                problems.append(
                    Problem(at, f'"{net}" is attached twice (also networks[{seen[net]}])')
                )
            seen.setdefault(net, index)
    return problems


def graph_problems(
    services: Mapping[str, ServiceSpec], application: str, target: Target
) -> tuple[list[Problem], list[str]]:
    """Each service's problems on `target` and the graph's (unknown or cyclic dependencies,
    names taken twice, claims that clash), and the order to create the services in; placed at
    `services.<key>...`. `application` is the application's name (its resources' prefix)."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    resources: dict[str, str] = {}
    graph: dict[str, set[str]] = {}
    for key, spec in services.items():
        at: Location = ("services", key)
        problems += [p.under(*at) for p in target.service_problems(key, spec)]
        for name, field in target.names(key, spec, at):
            first = names.setdefault(name, key)
            if first != key:
                problems.append(
                    Problem(field, f'{target.noun} name "{name}" is also used by service "{first}"')
                )
                continue
            resource = child_name(application, name)
            holder = resources.setdefault(resource, name)
            if holder != name:
                problems.append(
                    Problem(
                        field,
                        f'{target.noun} "{name}" would get the resource name "{resource}" of '
                        f'{target.noun} "{holder}" in application "{application}"; rename one '
                        "of them",
                    )
                )
        graph[key] = set()
        for where, depends in waits(spec):
            for other, condition in depends.items():
                field = (*at, *where, other)
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
                problems += [
                    Problem(field, reason)
                    for reason in target.wait_problems(other, condition, services[other])
                ]
    problems += target.conflicts(services)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        problems.append(Problem("services", f"depends_on has a cycle: {cycle}; break it"))
        order = list(services)
    return problems, order
