"""Mount rules: where a container's mounts land, as the engine places them.

A container's mount points come from three wire fields: `volumes[i]` (a `hostPath` or
`volumeName` becomes a bind `source:containerPath`, a bare `containerPath` an anonymous volume),
`mounts[i]` (`type`, `source`, `target`) and the `tmpfs` map (path -> options). What the engine
does with them, seen on engine 20.10: two binds or mounts on one target are refused at create
(`Duplicate mount point`), and so is a `tmpfs` entry on a bind's target; a `tmpfs` entry on a
`mounts` target is accepted and the mount is silently dropped (the tmpfs is all the container
sees there).

They judge containers only. How the swarm refuses a service's `taskSpec.containerSpec.mounts`
(at service create, or at each task's create) is not proven here, so the engine's words at a
container's create are not claimed for a service; its wire has no `volumes`, `tmpfs` map or
`devices`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from ._props import (
    Unknown,
    flag,
    is_unknown,
    items,
    record,
    shown,
    text,
)
from ._subject import Subject, for_subjects
from .vocabulary import NAME_CHARS, is_name


@dataclass(frozen=True)
class MountPoint:
    """One place the container's mounts put something."""

    where: str
    """The wire field, as messages name it: `mounts[1]`, `volumes[0]`, `tmpfs`."""
    target: str
    """The path inside the container, as written."""
    kind: str
    """`bind`, `volume`, `tmpfs` (a `mounts` entry), `anonymous` (a bare `containerPath`) or
    `tmpfs-map` (an entry of the `tmpfs` map)."""
    source: str | None
    """The host path or volume name, if any."""
    host_path_key: bool = False
    """The source is a `volumes` entry's `hostPath` (not its `volumeName`)."""

    @property
    def field(self) -> str:
        """`volumes`, `mounts` or `tmpfs` (the `tmpfs` map's entries come last)."""
        return self.where.split("[", 1)[0]


def _clean(path: str) -> str:
    return "/" + posixpath.normpath(path).lstrip("/") if path.startswith("/") else path


def mount_points(subject: Subject) -> list[MountPoint]:
    """Every mount point of a container, in wire order; what was unknown at preview goes to the
    subject's notes."""
    props, unknowns = subject.props, subject.unknowns
    points: list[MountPoint] = []
    volumes = items(props, "volumes")
    if isinstance(volumes, Unknown):
        unknowns.append(f"the volumes of {subject.subject} are")
        volumes = []
    for index, entry in enumerate(volumes):
        target = text(entry, "containerPath")
        source = text(entry, "volumeName")
        from_host = source is None
        if source is None:
            source = text(entry, "hostPath")
        if is_unknown(entry) or isinstance(target, Unknown) or isinstance(source, Unknown):
            unknowns.append(f"volumes[{index}] of {subject.subject} is")
        elif target is not None and text(entry, "fromContainer") is None:
            kind = "anonymous" if source is None else "bind"
            points.append(
                MountPoint(f"volumes[{index}]", target, kind, source, from_host and bool(source))
            )
    mounts = items(props, "mounts")
    if isinstance(mounts, Unknown):
        unknowns.append(f"the mounts of {subject.subject} are")
        mounts = []
    for index, entry in enumerate(mounts):
        at = text(entry, "target")
        mount_type = text(entry, "type")
        named = text(entry, "source")
        if is_unknown(entry) or any(isinstance(v, Unknown) for v in (at, mount_type, named)):
            unknowns.append(f"mounts[{index}] of {subject.subject} is")
        elif isinstance(at, str) and not isinstance(named, Unknown):
            kind = mount_type if isinstance(mount_type, str) else "volume"
            points.append(MountPoint(f"mounts[{index}]", at, kind, named))
    tmpfs = record(props, "tmpfs")
    if isinstance(tmpfs, Unknown):
        unknowns.append(f"the tmpfs of {subject.subject} is")
        tmpfs = {}
    for path in tmpfs:
        points.append(MountPoint("tmpfs", str(path), "tmpfs-map", None))
    return points


def _esc(value: str) -> str:
    """`value` escaped as `shown` escapes it, without the quotes (inside an engine message)."""
    return shown(value)[1:-1]


def _refusal(point: MountPoint, detail: str) -> str:
    """The engine's refusal of a mount point's spec, quoted: a `volumes` bind is parsed from its
    `source:target:mode` string, which the message repeats."""
    refusal = f'invalid mount config for type "{point.kind}": {detail}'
    if point.field == "volumes":
        spec = f"{point.source}:{point.target}:rw"
        refusal = f"invalid volume specification: '{_esc(spec)}': {refusal}"
    return f'"{refusal}"'


def _named(point: MountPoint) -> str:
    if point.field == "tmpfs":
        return f"the tmpfs map's entry {shown(point.target)}"
    return f"{point.where} ({point.kind} on {shown(point.target)})"


def mount_problems(points: list[MountPoint], read_only: dict[str, bool]) -> list[str]:
    """What the engine refuses (or silently drops) among these mount points; `read_only` tells
    which `mounts` entries are read-only."""
    found: list[str] = []
    first: dict[str, MountPoint] = {}
    for point in points:
        if point.kind == "anonymous":
            continue  # a bare containerPath: the engine lets a bind or mount take its place
        if point.kind != "tmpfs-map" and not point.target.startswith("/"):
            detail = f"invalid mount path: '{_esc(point.target)}' mount path must be absolute"
            found.append(
                f"{point.where} targets {shown(point.target)}, a relative path; the engine "
                f"refuses it at create with {_refusal(point, detail)}; give an absolute path "
                "inside the container"
            )
            continue
        target = _clean(point.target)
        if target == "/" and point.kind != "tmpfs-map":
            detail = "invalid specification: destination can't be '/'"
            found.append(
                f'{point.where} targets "/"; the engine refuses it at create with '
                f"{_refusal(point, detail)}; mount below the root, such as /data"
            )
            continue
        earlier = first.get(target)
        if earlier is None:
            first[target] = point
        elif point.field == "tmpfs" and earlier.field == "mounts":
            found.append(
                f"{earlier.where} and the tmpfs map both use {shown(target)}; the engine accepts "
                f"it and silently drops {earlier.where}: the container sees an empty tmpfs "
                "there; keep one of them"
            )
        else:
            found.append(
                f"{_named(point)} uses the target of {_named(earlier)}; the engine refuses it at "
                f'create with "Duplicate mount point: {_esc(target)}"; give each mount its own '
                "target"
            )
    for point in points:
        source = point.source
        if point.kind == "bind" and source is not None and not source.startswith("/"):
            if point.field == "mounts":
                found.append(
                    f"{point.where} binds the relative host path {shown(source)}; the engine "
                    'refuses it at create with "invalid mount config for type "bind": invalid '
                    f"mount path: '{_esc(source)}' mount path must be absolute\"; give the "
                    "absolute host path"
                )
            elif point.host_path_key and is_name(source):
                found.append(
                    f"{point.where}.hostPath {shown(source)} is not an absolute path; the engine "
                    "takes it for a volume name and mounts an empty volume of that name instead "
                    "of a host folder; give the absolute host path (or set volumeName)"
                )
            elif point.host_path_key:
                found.append(
                    f"{point.where}.hostPath {shown(source)} is not an absolute path; the engine "
                    f'refuses it at create with "create {_esc(source)}: "{_esc(source)}" '
                    f'includes invalid characters for a local volume name, only "{NAME_CHARS}" '
                    'are allowed. If you intended to pass a host directory, use absolute path"; '
                    "give the absolute host path"
                )
        elif point.kind == "volume" and source is None and read_only.get(point.where):
            found.append(
                f"{point.where} is a read-only anonymous volume; the engine refuses it at create "
                'with "invalid mount config for type "volume": must not set ReadOnly mode when '
                'using anonymous volumes"; name a volume as its source, or drop readOnly'
            )
    return found


@for_subjects(services=False)
def _valid_mounts(subject: Subject) -> Iterator[str]:
    points = mount_points(subject)
    read_only: dict[str, bool] = {}
    mounts = items(subject.props, "mounts")
    for index, entry in enumerate(mounts if isinstance(mounts, list) else []):
        value = flag(entry, "readOnly")
        if isinstance(value, Unknown):
            subject.undecided(f"mounts[{index}].readOnly of {subject.subject} is")
        read_only[f"mounts[{index}]"] = value is True
    yield from mount_problems(points, read_only)


docker_container_enforce_valid_mounts = ResourceValidationPolicy(
    name="docker-container-enforce-valid-mounts",
    description=(
        "A container's mounts each have their own absolute target other than /, a bind's host "
        "path is absolute, an anonymous volume is writable, and no tmpfs takes a mount's place."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_mounts,
)


@for_subjects(services=False)
def _host_sources(subject: Subject) -> Iterator[str]:
    for point in mount_points(subject):
        source = point.source
        if point.field == "mounts" and point.kind == "bind" and source and source.startswith("/"):
            yield (
                f"{point.where} binds the host path {shown(source)}, which must exist on the "
                "engine's host when the container is created (the pack cannot see that host); "
                'the engine refuses a missing one with "invalid mount config for type "bind": '
                f'bind source path does not exist: {_esc(source)}"; create it first, or bind it '
                "through volumes (hostPath), which creates a missing folder"
            )
    devices = subject.read(items, "devices")
    if isinstance(devices, Unknown):
        subject.undecided(f"the devices of {subject.subject} are")
        devices = []
    for index, entry in enumerate(devices):
        path = text(entry, "hostPath")
        if isinstance(path, Unknown):
            subject.undecided(f"devices[{index}] of {subject.subject} is")
        elif path is not None:
            yield (
                f"devices[{index}] {shown(path)} must exist on the engine's host (the pack cannot "
                'see that host); the start fails without it: "error gathering device '
                f'information while adding custom device "{_esc(path)}": no such file or '
                'directory"'
            )


docker_container_require_host_sources = ResourceValidationPolicy(
    name="docker-container-require-host-sources",
    description=(
        "The host paths a container binds through mounts, and the devices it is given, exist "
        "on the engine's host: the pack names each, since it cannot see that host."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_host_sources,
)

MOUNT_POLICIES = [docker_container_enforce_valid_mounts, docker_container_require_host_sources]
"""The mount rules, in README order."""
