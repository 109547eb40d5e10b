"""Swarm services seen as containers: a service's task runs a container, so the container rules
that make sense for it (capabilities, mounts of the host, names it looks up, extra hosts, DNS
servers) read the service's task spec in the shape of a container's props, through one reader
(`service_as_container`), and say `service "x"` where they would say `container "x"`.

A rule opts in by wrapping its validation: `validate=also_for_services(_capabilities)` for a
resource rule, `validate=stack_also_for_services(_socket_mount)` for a stack rule (which then
sees each service as one more container of the stack, on the networks its tasks join).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._props import CONTAINER, SERVICE, UNKNOWN_SENTINELS, plain
from ._stack import ServiceEntry, StackIndex

ResourceValidation = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidation = Callable[[StackValidationArgs, ReportViolation], None]

_SAME_KEYS = {
    "image": "image",
    "commands": "entrypoints",
    "args": "command",
    "hosts": "hosts",
    "mounts": "mounts",
    "healthcheck": "healthcheck",
    "labels": "labels",
    "user": "user",
    "dir": "workingDir",
    "hostname": "hostname",
    "readOnly": "readOnly",
    "sysctl": "sysctls",
    "stopSignal": "stopSignal",
}
"""containerSpec keys and the container props key that holds the same value."""


_SERVICE_KEYS = (
    ("capabilities.adds", "taskSpec.containerSpec.capAdds"),
    ("capabilities.drops", "taskSpec.containerSpec.capDrops"),
    (": mounts[", ": taskSpec.containerSpec.mounts["),
)
"""How a container rule's message names a key, and the service's key it read it from."""


def _is_sentinel(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def service_as_container(props: Any, networks: list[str] | None = None) -> dict[str, Any]:
    """A service's props (its task's container spec) as container props.

    `networks` are the names of the networks its tasks join, when the stack resolved them
    (entries given by id are unknown at preview); else the entries' own names or ids.
    """
    service = plain(props)
    if not isinstance(service, dict):
        return {}
    shaped: dict[str, Any] = {"name": service.get("name")}
    task = service.get("taskSpec")
    if _is_sentinel(task):
        return {**shaped, **{key: task for key in (*_SAME_KEYS.values(), "envs", "dns")}}
    task = task if isinstance(task, dict) else {}
    spec = task.get("containerSpec")
    if _is_sentinel(spec):
        return {**shaped, **{key: spec for key in (*_SAME_KEYS.values(), "envs", "dns")}}
    spec = spec if isinstance(spec, dict) else {}
    for key, target in _SAME_KEYS.items():
        if key in spec:
            shaped[target] = spec[key]
    env = spec.get("env")
    if _is_sentinel(env):
        shaped["envs"] = env
    elif isinstance(env, dict):
        shaped["envs"] = [
            v if _is_sentinel(v) else f"{k}={v}" for k, v in env.items() if isinstance(v, str)
        ]
    dns = spec.get("dnsConfig")
    if _is_sentinel(dns):
        shaped["dns"] = shaped["dnsSearches"] = shaped["dnsOpts"] = dns
    elif isinstance(dns, dict):
        for key, target in (("nameservers", "dns"), ("searches", "dnsSearches")):
            if key in dns:
                shaped[target] = dns[key]
        if "options" in dns:
            shaped["dnsOpts"] = dns["options"]
    adds, drops = spec.get("capAdds"), spec.get("capDrops")
    if adds is not None or drops is not None:
        shaped["capabilities"] = {"adds": adds or [], "drops": drops or []}
    entries = task.get("networksAdvanceds")
    if networks is not None:
        shaped["networksAdvanced"] = [{"name": n} for n in networks]
        # Aliases go with their entry only where the entries are the networks in order (all
        # given by name); an alias left out names no one, so no rule reads it as a name.
        if (
            isinstance(entries, list)
            and all(
                isinstance(e, dict) and e.get("name") == n
                for e, n in zip(entries, networks, strict=False)
            )
            and len(entries) == len(networks)
        ):
            for entry, attached in zip(entries, shaped["networksAdvanced"], strict=True):
                if "aliases" in entry:
                    attached["aliases"] = entry["aliases"]
    elif _is_sentinel(entries):
        shaped["networksAdvanced"] = entries
    elif isinstance(entries, list):
        shaped["networksAdvanced"] = [
            {"name": e.get("name") or e.get("id"), "aliases": e.get("aliases") or []}
            for e in entries
            if isinstance(e, dict)
        ]
    return shaped


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
            for written, key in _SERVICE_KEYS:
                message = message.replace(written, key)
        report(message, urn)

    return retold


def also_for_services(validate: ResourceValidation) -> ResourceValidation:
    """A container resource rule's validation that also reads each swarm service's task."""

    def validation(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != SERVICE:
            validate(args, report)
            return
        shaped = service_as_container(args.props)
        name = shaped.get("name")
        label = name if isinstance(name, str) and not _is_sentinel(name) else args.name
        shaped_args = ResourceValidationArgs(
            CONTAINER, shaped, args.urn, args.name, args.opts, args.provider, _config(args)
        )
        validate(shaped_args, _retold(report, {args.urn: label}))

    return validation


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
