"""Swarm services seen as containers by the stack rules on names and networks: a service's task
runs a container, so a stack rule that reads containers (the names a process looks up, the
networks two of them share) sees each service as one more container of the stack, in a
container's shape (`_subject.service_as_container`, read through the one wire table), on the
networks its tasks join, and says `service "x"` where it would say `container "x"`.

A stack rule opts in by wrapping its validation: `validate=stack_also_for_services(_rule)`.
Resource rules read a service through `_subject.for_subjects` instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)

from ._props import CONTAINER
from ._stack import ServiceEntry, StackIndex
from ._subject import SERVICE_WIRE, service_as_container

SERVICE_MOUNTS = ".".join(SERVICE_WIRE["mounts"])
"""Where a service's mounts are written (`taskSpec.containerSpec.mounts`)."""

StackValidation = Callable[[StackValidationArgs, ReportViolation], None]


def _config(args: Any) -> Mapping[str, Any]:
    with contextlib.suppress(AttributeError, TypeError):
        return dict(args.get_config() or {})
    return {}


def _retold(report: ReportViolation, labels: Mapping[str, str]) -> ReportViolation:
    """`report`, with `container "x"` said as `service "x"` for each service x (by its urn)."""

    def retold(message: str, urn: str | None = None) -> None:
        for label in labels.values():
            message = message.replace(f'container "{label}"', f'service "{label}"')
        if urn in labels or (urn is None and len(labels) == 1):
            message = message.replace(": mounts[", f": {SERVICE_MOUNTS}[")
        report(message, urn)

    return retold


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


def stack_also_for_services(validate: StackValidation) -> StackValidation:
    """A container stack rule's validation that also sees each swarm service as a container."""

    def validation(args: StackValidationArgs, report: ReportViolation) -> None:
        index = StackIndex(args.resources)
        if not index.services:
            validate(args, report)
            return
        by_urn = {s.urn: s for s in index.services}
        names = {c.view.name for c in index.containers}
        resources = [
            _as_container(by_urn[r.urn], r, index) if r.urn in by_urn else r for r in args.resources
        ]
        labels = {s.urn: s.label for s in index.services if s.label not in names}
        shaped_args = StackValidationArgs(resources, _config(args))
        validate(shaped_args, _retold(report, labels))

    return validation
