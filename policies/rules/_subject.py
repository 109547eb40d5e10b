"""The one reader of what runs in a container: a container resource, or a swarm service's task
container (`taskSpec.containerSpec`), presented alike to the rules on a container's process,
mounts and security.

- `SERVICE_WIRE` maps each container wire key to where a service writes the same value (they
  are spelt differently: a container's `capabilities.adds` is a service's
  `taskSpec.containerSpec.capAdds`, its `workingDir` the service's `dir`). A key a service does
  not have reads as absent on a service, so a rule reaches services wherever the service's wire
  has its field, and nowhere else.
- `Subject` reads a container key on either (`subject.read(text, "workingDir")`), says where it
  is written (`subject.where("mounts")` is `mounts` or `taskSpec.containerSpec.mounts`), names
  the subject in messages (`container "web"`, `service "api"`) and collects what was unknown at
  preview.
- `for_subjects` is the preamble every container rule shares: pick the resource types, read the
  subject, report each problem the rule's body yields as `<subject>: <problem>.`, and leave the
  could-not-decide note for what was unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ._props import (
    CONTAINER,
    SERVICE,
    UNKNOWN,
    UNKNOWN_SENTINELS,
    ContainerView,
    Unknown,
    config_strings,
    container_view,
    finish,
    is_unknown,
    plain,
    record,
    shown,
    text,
    unwrap,
)
from ._stack import StackIndex

_SPEC = ("taskSpec", "containerSpec")

SERVICE_WIRE: dict[str, tuple[str, ...]] = {
    "image": (*_SPEC, "image"),
    "entrypoints": (*_SPEC, "commands"),
    "command": (*_SPEC, "args"),
    "envs": (*_SPEC, "env"),
    "hosts": (*_SPEC, "hosts"),
    "mounts": (*_SPEC, "mounts"),
    "healthcheck": (*_SPEC, "healthcheck"),
    "labels": (*_SPEC, "labels"),
    "user": (*_SPEC, "user"),
    "groupAdds": (*_SPEC, "groups"),
    "workingDir": (*_SPEC, "dir"),
    "hostname": (*_SPEC, "hostname"),
    "readOnly": (*_SPEC, "readOnly"),
    "init": (*_SPEC, "init"),
    "sysctls": (*_SPEC, "sysctl"),
    "stopSignal": (*_SPEC, "stopSignal"),
    "capabilities.adds": (*_SPEC, "capAdds"),
    "capabilities.drops": (*_SPEC, "capDrops"),
    "dns": (*_SPEC, "dnsConfig", "nameservers"),
    "dnsSearches": (*_SPEC, "dnsConfig", "searches"),
    "dnsOpts": (*_SPEC, "dnsConfig", "options"),
    "networksAdvanced": ("taskSpec", "networksAdvanceds"),
    "logDriver": ("taskSpec", "logDriver", "name"),
    "logOpts": ("taskSpec", "logDriver", "options"),
}
"""A container's wire key (dotted where nested) and the path of the same value in a service's
props (pulumi-docker 5.2.0). `envs` is a list of `NAME=value` on a container and a map on a
service (`Subject.env` reads both). Container keys not listed have no counterpart on a
service's wire: `privileged`, `networkMode`, `pidMode`, `ipcMode`, `usernsMode`, `securityOpts`,
`devices`, `volumes`, `tmpfs`, `ports` (a service publishes through `endpointSpec`), `ulimits`,
`rm`, `restart` (a service has `taskSpec.restartPolicy`), and `memory`, `memorySwap`, `cpus`,
`shmSize` (a service's `taskSpec.resources` are in bytes and nano-CPUs, judged by the swarm
rules)."""

T = TypeVar("T")


def _is_sentinel(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def _shaped_spec(spec: Any) -> dict[str, Any]:
    """A service's `containerSpec` (plain JSON) as container props, through `SERVICE_WIRE`."""
    shaped: dict[str, Any] = {}
    for key, path in SERVICE_WIRE.items():
        if path[:2] != _SPEC or "." in key:
            continue
        value = spec
        for part in path[2:]:
            if _is_sentinel(value) or not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            shaped[key] = value
            continue
        if _is_sentinel(value):
            shaped[key] = value
    if _is_sentinel(spec):
        return shaped
    env = shaped.pop("envs", None)
    if _is_sentinel(env):
        shaped["envs"] = env
    elif isinstance(env, dict):
        shaped["envs"] = [
            v if _is_sentinel(v) else f"{k}={v}" for k, v in env.items() if isinstance(v, str)
        ]
    adds = spec.get(SERVICE_WIRE["capabilities.adds"][-1])
    drops = spec.get(SERVICE_WIRE["capabilities.drops"][-1])
    if adds is not None or drops is not None:
        shaped["capabilities"] = {"adds": adds or [], "drops": drops or []}
    return shaped


def _attached(task: Any, networks: list[str] | None) -> Any:
    """A service's network entries as a container's `networksAdvanced`."""
    entries = task.get("networksAdvanceds")
    if networks is not None:
        attached: list[dict[str, Any]] = [{"name": n} for n in networks]
        # Aliases go with their entry only where the entries are the networks in order (all
        # given by name); an alias left out names no one, so no rule reads it as a name.
        if (
            isinstance(entries, list)
            and len(entries) == len(networks)
            and all(
                isinstance(e, dict) and e.get("name") == n
                for e, n in zip(entries, networks, strict=True)
            )
        ):
            for entry, shaped in zip(entries, attached, strict=True):
                if "aliases" in entry:
                    shaped["aliases"] = entry["aliases"]
        return attached
    if _is_sentinel(entries):
        return entries
    if isinstance(entries, list):
        return [
            {"name": e.get("name") or e.get("id"), "aliases": e.get("aliases") or []}
            for e in entries
            if isinstance(e, dict)
        ]
    return None


def service_as_container(props: Any, networks: list[str] | None = None) -> dict[str, Any]:
    """A service's props (its task's container spec) as container props, for the stack rules
    that read containers.

    `networks` are the names of the networks its tasks join, when the stack resolved them
    (entries given by id are unknown at preview); else the entries' own names or ids.
    """
    service = plain(props)
    if not isinstance(service, dict):
        return {}
    task = service.get("taskSpec")
    spec = task.get("containerSpec") if isinstance(task, dict) else task
    if not _is_sentinel(spec) and not isinstance(spec, dict):
        spec = {}
    shaped: dict[str, Any] = {"name": service.get("name"), **_shaped_spec(spec)}
    if _is_sentinel(task):
        return shaped
    attached = _attached(task if isinstance(task, dict) else {}, networks)
    if attached is not None:
        shaped["networksAdvanced"] = attached
    return shaped


@dataclass
class Subject:
    """A container, or a swarm service's task container, as the container rules read it."""

    kind: str
    """`container` or `service`."""
    label: str
    """Its name (container or service name), else its resource name."""
    props: Any
    """The resource's props, one level unwrapped."""
    args: ResourceValidationArgs | None = None
    """The rule's args (its config), when a resource rule reads it."""
    unknowns: list[str] = field(default_factory=list)
    """What the rule needed and found unknown at preview (the could-not-decide note)."""

    @property
    def is_service(self) -> bool:
        """Whether it is a swarm service's task."""
        return self.kind == "service"

    @property
    def subject(self) -> str:
        """How messages name it: `container "web"`, `service "api"`."""
        return f'{self.kind} "{self.label}"'

    def has(self, key: str) -> bool:
        """Whether its wire has the container key `key`."""
        return not self.is_service or key in SERVICE_WIRE

    def where(self, key: str) -> str:
        """Where the container key `key` is written: `mounts`, `taskSpec.containerSpec.mounts`."""
        if not self.is_service:
            return key
        return ".".join(SERVICE_WIRE.get(key, (*_SPEC, key)))

    def read(self, reader: Callable[[Any, str], T], key: str) -> T | Unknown:
        """The container key `key` read with `reader` (`text`, `items`, ...): absent on a service
        whose wire has no such key; UNKNOWN where it, or a record holding it, is unknown."""
        path = SERVICE_WIRE.get(key) if self.is_service else tuple(key.split("."))
        if path is None:
            return reader({}, key)
        holder: Any = self.props
        for part in path[:-1]:
            holder = record(holder, part)
            if isinstance(holder, Unknown):
                return UNKNOWN
        return reader(holder, path[-1])

    def env(self) -> Iterator[tuple[str, str, Any]] | Unknown:
        """(where, name, value) of each env entry; a value may be a sentinel or a Pulumi secret
        (kept as it is). A container's `envs[i]` is `NAME=value`; a service's `env` is a map."""
        raw = self.read(_raw_value, "envs")
        if isinstance(raw, Unknown):
            return UNKNOWN
        if self.is_service:
            entries = raw if isinstance(raw, dict) else {}
            where = self.where("envs")
            return ((f"{where}[{shown(str(k))}]", str(k), v) for k, v in sorted(entries.items()))
        listed = raw if isinstance(raw, list) else []
        return ((f"envs[{i}]", "", entry) for i, entry in enumerate(listed))

    @cached_property
    def view(self) -> ContainerView:
        """The networking view (network mode, attachments, labels); a service's attachments are
        its `taskSpec.networksAdvanceds` (by name, or by id: unknown at preview)."""
        if self.is_service:
            return container_view(service_as_container(self.props), self.label)
        return container_view(self.props, self.label)

    def setting(self, key: str, default: Sequence[str]) -> list[str]:
        """A list-of-strings setting of the rule's config, or `default` when it is not set."""
        return list(default) if self.args is None else config_strings(self.args, key, default)

    def undecided(self, what: str) -> None:
        """Note that `what` ("the user of container "x" is") is unknown at preview."""
        self.unknowns.append(what)


def _raw_value(obj: Any, key: str) -> Any:
    """A field as it is (one level unwrapped), UNKNOWN when unknown."""
    inner = unwrap(obj)
    value = unwrap(inner.get(key)) if isinstance(inner, dict) else None
    return UNKNOWN if is_unknown(value) else value


def container_subject(props: Any, resource_name: str, args: Any = None) -> Subject:
    """A container resource as a `Subject`."""
    props = unwrap(props)
    name = text(props, "name")
    label = name if isinstance(name, str) else resource_name
    return Subject("container", label, props if isinstance(props, dict) else {}, args)


def service_subject(props: Any, resource_name: str, args: Any = None) -> Subject:
    """A swarm service resource as a `Subject` (its task's container)."""
    props = unwrap(props)
    name = text(props, "name")
    label = name if isinstance(name, str) else resource_name
    return Subject("service", label, props if isinstance(props, dict) else {}, args)


def subject_of(
    args: ResourceValidationArgs, services: bool = True, containers: bool = True
) -> Subject | None:
    """The subject a resource rule judges: (with `containers`) a container, or (with `services`)
    a swarm service; None for any other resource."""
    if containers and args.resource_type == CONTAINER:
        return container_subject(args.props, args.name, args)
    if services and args.resource_type == SERVICE:
        return service_subject(args.props, args.name, args)
    return None


def stack_subjects(index: StackIndex) -> Iterator[tuple[Subject, str, str | Unknown | None]]:
    """(subject, urn, image) of each container, then each swarm service, of a stack; a
    container's image given as a `RemoteImage`'s id (unknown at preview) reads as its name."""
    for container in index.containers:
        subject = container_subject(container.props, container.resource_name)
        yield subject, container.urn, index.image_of(container)
    for service in index.services:
        subject = service_subject(service.props, service.resource_name)
        yield subject, service.urn, subject.read(text, "image")


Body = Callable[[Subject], Iterable[str]]
ResourceValidation = Callable[[ResourceValidationArgs, ReportViolation], None]


def for_subjects(
    *, services: bool, containers: bool = True
) -> Callable[[Body], ResourceValidation]:
    """A container rule's validation from its body: the body yields each problem of a subject
    (without the subject's name and the final period) and notes what was unknown
    (`subject.undecided`); `services` says whether swarm services are judged too, `containers`
    whether containers are (a swarm rule judges services only)."""

    def wrap(body: Body) -> ResourceValidation:
        def validation(args: ResourceValidationArgs, report: ReportViolation) -> None:
            subject = subject_of(args, services, containers)
            if subject is None:
                return
            for problem in body(subject):
                report(f"{subject.subject}: {problem}.", None)
            finish(args, subject.unknowns)

        return validation

    return wrap
