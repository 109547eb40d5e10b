"""Swarm services seen as containers by the stack rules on names and networks: a service's task
runs a container, so a stack rule that reads containers (the names a process looks up, the
networks two of them share) sees each service as one more container of the stack, in a
container's shape (`_subject.service_as_container`, read through the one wire table), on the
networks its tasks join. The rule names each one through its `Subject` (`stack_subjects`):
`container "x"` or `service "x"`.

Resource rules read a service through `_subject.for_subjects` instead.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from ._props import CONTAINER
from ._stack import ServiceEntry, StackIndex
from ._subject import Subject, service_as_container, stack_subjects


def _as_container(service: ServiceEntry, resource: PolicyResource, index: StackIndex) -> Any:
    networks = index.service_networks(service)
    names = [n.name for n in networks] if isinstance(networks, list) else None
    return PolicyResource(
        CONTAINER,
        service_as_container(resource.props, names),
        resource.urn,
        resource.name,
        resource.opts,
        resource.provider,
        resource.parent,
        resource.dependencies,
        resource.property_dependencies,
    )


def stack_with_services(args: StackValidationArgs) -> tuple[StackIndex, dict[str, Subject]]:
    """The stack's index with each swarm service in it as one more container, and the subject
    (container or service) of each of its containers, by URN."""
    index = StackIndex(args.resources)
    subjects = {urn: subject for subject, urn, _ in stack_subjects(index)}
    if not index.services:
        return index, subjects
    by_urn = {s.urn: s for s in index.services}
    resources = [
        _as_container(by_urn[r.urn], r, index) if r.urn in by_urn else r for r in args.resources
    ]
    return StackIndex(resources), subjects
