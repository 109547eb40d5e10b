"""Every way a host path reaches a container, read from pulumi-docker wire props.

A container sees a host path through any of these, and the rules about host paths read them
all the same way:
- `volumes[i]`: the provider binds `volumeName`, else `hostPath`, at `containerPath`; a source
  that starts with `/` is a host path (anything else names a Docker volume). Both fields are
  read, so the verdict does not hang on which one the provider prefers;
- `mounts[i]` of type `bind`: `source` is a host path;
- `mounts[i]` of type `volume` whose `volumeOptions` ask the `local` driver for a bind
  (`driverOptions` `o: bind`, `device: <host path>`), and `volumes[i].volumeName` or a volume
  mount's `source` naming a `docker.Volume` of the stack created that way;
- `volumes[i].fromContainer`: the container takes every mount of the one it names
  (`--volumes-from`), recursively.

Paths are compared after lexical normalisation (`/var/run/../run/`, `//var//run` and
`/var/run/` all become the folder they name); `/var/run` and `/run` are one folder, since
`/var/run` is a link to `/run` on current Linux hosts (so a mount of `/var` does not show what
`/run` holds).

A path is judged by what it names, not by how it is spelled:
- `/proc/self/root` and `/proc/thread-self/root` are the root folder of whichever process opens
  them: for the engine, the host's `/` (so `/proc/self/root/run/docker.sock` is the socket);
- a symbolic link is followed on the machine the pack runs on, as the engine follows it when it
  binds the path on that machine (a project's `./sock -> /var/run/docker.sock`). Where the engine
  runs elsewhere, the link's target there is what the project asks for, so it is judged too:
  each mount is judged by its written path and by the path it resolves to, and reported once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from ._props import (
    CONTAINER,
    SERVICE,
    UNKNOWN,
    Unknown,
    flag,
    is_unknown,
    items,
    record,
    text,
    unwrap,
)
from ._subject import Subject, container_subject, service_subject
from .vocabulary import UNKNOWN_STRING_VALUE
from .vocabulary import VOLUME_TYPE as VOLUME


def _self_root(parts: list[str]) -> int:
    """How many leading parts of a path name the root folder of the process that opens it
    (`proc/self/root`, `proc/thread-self/root`, `proc/self/task/<tid>/root`): the engine's,
    which is the host's `/`; 0 when they do not."""
    if len(parts) >= 3 and parts[0] == "proc" and parts[1] in ("self", "thread-self"):
        if parts[2] == "root":
            return 3
        if len(parts) >= 5 and parts[1] == "self" and parts[2] == "task" and parts[4] == "root":
            return 5 if parts[3].isdigit() else 0
    return 0


def host_path(value: str) -> str | None:
    """`value` as a normalised absolute host path; None when it is not one (a volume name).

    A path through the opening process's own root (`/proc/self/root/etc`) is the host path it
    names (`/etc`)."""
    if not value.startswith("/"):
        return None
    parts: list[str] = []
    for part in value.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts == ["var", "run"]:
            parts = []  # /var/run is a link to /run: its parent is /, not /var
        elif parts:
            parts.pop()
    while skip := _self_root(parts):
        parts = parts[skip:]
    return "/" + "/".join(parts)


def other_process_root(path: str) -> str | None:
    """`/proc/<pid>/root` when a normalised host path lies under another process's root folder
    (`/proc/<pid>/root`, `/proc/<pid>/task/<tid>/root`), else None."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "proc" or not parts[2].isdigit():
        return None
    if parts[3] == "root":
        return "/".join(parts[:4])
    if len(parts) >= 6 and parts[3] == "task" and parts[4].isdigit() and parts[5] == "root":
        return "/".join(parts[:6])
    return None


_RESOLVED: dict[str, str | None] = {}


def resolved(path: str) -> str | None:
    """The host path a normalised host path resolves to through symbolic links on this machine
    (as the engine resolves it when it binds the path here), normalised; None when it resolves to
    itself or cannot be resolved."""
    if path in _RESOLVED:
        return _RESOLVED[path]
    if within(path, "/proc"):
        # /proc's links name the opening process's own files: this process is not the engine.
        return None
    try:
        real = host_path(os.path.realpath(path))
    except (OSError, ValueError):
        real = None
    found = real if real is not None and canonical(real) != canonical(path) else None
    if len(_RESOLVED) < 65536:
        _RESOLVED[path] = found
    return found


def canonical(path: str) -> str:
    """A normalised host path with `/var/run` spelled `/run`: on current Linux hosts `/var/run`
    is a link to `/run` (so `/var` itself does not hold what `/run` holds)."""
    if path == "/var/run" or path.startswith("/var/run/"):
        return "/run" + path[len("/var/run") :]
    return path


def within(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies under it (both normalised)."""
    if folder == "/":
        return True
    return path == folder or path.startswith(folder + "/")


def covers(mounted: str, wanted: str) -> bool:
    """Whether mounting host path `mounted` makes host path `wanted` visible (both normalised)."""
    return within(canonical(wanted), canonical(mounted))


@dataclass(frozen=True)
class HostMount:
    """One host path a container sees."""

    origin: str
    """Where it comes from, as messages name it: `volumes[0].hostPath "/run"`."""
    path: str
    """The host path, normalised."""
    read_only: bool | Unknown
    """Whether the container sees it read-only."""

    def judged(self) -> Iterator[tuple[str, str]]:
        """(path, origin) to judge the mount by: its own path, then the path it resolves to on
        this machine, with an origin that says so."""
        yield self.path, self.origin
        target = resolved(self.path)
        if target is not None:
            yield target, f'{self.origin}, a link to "{target}" on this machine,'


@dataclass(frozen=True)
class _BindVolume:
    """A named volume that the `local` driver makes as a bind of a host path."""

    label: str
    """How messages name the volume."""
    written: str
    """The host path as written (`driverOpts.device`)."""
    path: str
    """The host path, normalised."""
    read_only: bool
    """Whether the bind itself is read-only (`o` has `ro`)."""


def _bind_of(driver: str | Unknown | None, options: Any) -> tuple[str, str, bool] | Unknown | None:
    """(device as written, normalised, read-only) when a volume driver config binds a host path;
    UNKNOWN when that cannot be told at preview."""
    if isinstance(driver, Unknown) or is_unknown(options):
        return UNKNOWN
    if driver not in (None, "local") or not isinstance(options, dict):
        return None
    device = options.get("device")
    flags = options.get("o")
    if is_unknown(device) or is_unknown(flags):
        return UNKNOWN
    if not isinstance(device, str) or not isinstance(flags, str):
        return None
    parts = {part.strip() for part in flags.split(",")}
    path = host_path(device)
    if path is None or not parts & {"bind", "rbind"}:
        return None
    return device, path, "ro" in parts


def _read_only(entry: Any, key: str = "readOnly") -> bool | Unknown:
    value = flag(entry, key)
    return value if isinstance(value, Unknown) else bool(value)


def _combined(first: bool | Unknown, second: bool | Unknown) -> bool | Unknown:
    """Read-only when either layer is read-only; unknown when that is not decided."""
    if first is True or second is True:
        return True
    if isinstance(first, Unknown) or isinstance(second, Unknown):
        return first if isinstance(first, Unknown) else second
    return False


@dataclass(frozen=True)
class Holder:
    """A container, or a swarm service, whose mounts the rules read."""

    resource: PolicyResource
    """The resource (violations name its urn)."""
    props: Any
    """The props its mounts are read from: a container's, a service's `taskSpec.containerSpec`
    (whose `mounts` read as a container's)."""
    subject: str
    """How messages name it: `container "web"`, `service "api"`."""
    key: str = ""
    """Where its mounts are written in its props: nothing for a container,
    `taskSpec.containerSpec.` for a service."""


def holder_of(resource: PolicyResource, subject: Subject) -> Holder:
    """A container or a swarm service as a `Holder`: a service's mounts are read from its
    `taskSpec.containerSpec`, at the key the one subject reader names."""
    if not subject.is_service:
        return Holder(resource, subject.props, subject.subject)
    mounts = subject.read(items, "mounts")
    read = {"mounts": UNKNOWN_STRING_VALUE if isinstance(mounts, Unknown) else mounts}
    key = subject.where("mounts").removesuffix("mounts")
    return Holder(resource, read, subject.subject, key)


class MountIndex:
    """The stack's containers (by name) and bind-made volumes (by name), read once."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.containers: list[Holder] = []
        """Each container and swarm service, in URN order."""
        self._by_name: dict[str, dict[str, Any]] = {}
        self._volumes: dict[str, _BindVolume] = {}
        self._undecided: set[str] = set()
        self.volume_names_unknown = False
        """Whether some volume of the stack has a name unknown at preview."""
        for resource in sorted(resources, key=lambda r: str(r.urn)):
            kind = resource.resource_type
            if kind not in (CONTAINER, VOLUME, SERVICE):
                continue
            props = unwrap(resource.props)
            if not isinstance(props, dict):
                props = {}
            if kind == SERVICE:
                self.containers.append(holder_of(resource, service_subject(props, resource.name)))
            elif kind == CONTAINER:
                self.containers.append(holder_of(resource, container_subject(props, resource.name)))
                name = text(props, "name")
                if isinstance(name, str):
                    self._by_name.setdefault(name, props)
            else:
                self._add_volume(resource, props)

    def _add_volume(self, resource: PolicyResource, props: dict[str, Any]) -> None:
        name = text(props, "name")
        if isinstance(name, Unknown):
            self.volume_names_unknown = True
            return
        bind = _bind_of(text(props, "driver"), unwrap(props.get("driverOpts")))
        if name is None or bind is None:
            return
        if isinstance(bind, Unknown):
            self._undecided.add(name)
            return
        written, path, read_only = bind
        self._volumes[name] = _BindVolume(
            label=f'docker.Volume "{resource.name}"',
            written=written,
            path=path,
            read_only=read_only,
        )

    def host_mounts(self, holder: Holder) -> tuple[list[HostMount], list[str]]:
        """Every host path the container or service sees, and what was unknown."""
        unknowns: list[str] = []
        found = list(self._walk(holder.props, holder.subject, unknowns, set(), holder.key))
        return found, unknowns

    def _walk(
        self, props: Any, subject: str, unknowns: list[str], seen: set[int], key: str = ""
    ) -> Iterator[HostMount]:
        seen.add(id(props))
        volumes = items(props, "volumes")
        if isinstance(volumes, Unknown):
            unknowns.append(f"the volumes of {subject} are")
            volumes = []
        for index, entry in enumerate(volumes):
            yield from self._volume_entry(index, entry, subject, unknowns, seen)
        mounts = items(props, "mounts")
        if isinstance(mounts, Unknown):
            unknowns.append(f"the mounts of {subject} are")
            mounts = []
        for index, entry in enumerate(mounts):
            yield from self._mount_entry(index, entry, subject, unknowns, key)

    def _named(
        self, where: str, name: str, read_only: bool | Unknown, subject: str, unknowns: list[str]
    ) -> Iterator[HostMount]:
        volume = self._volumes.get(name)
        if volume is not None:
            yield HostMount(
                origin=(
                    f'{where} "{name}" ({volume.label}, whose driverOpts bind the host path '
                    f'"{volume.written}")'
                ),
                path=volume.path,
                read_only=_combined(read_only, volume.read_only),
            )
        elif self.volume_names_unknown or name in self._undecided:
            unknowns.append(f'whether volume "{name}" of {subject} binds a host path is')

    def _volume_entry(
        self, index: int, entry: Any, subject: str, unknowns: list[str], seen: set[int]
    ) -> Iterator[HostMount]:
        if is_unknown(entry):
            unknowns.append(f"volumes[{index}] of {subject} is")
            return
        read_only = _read_only(entry)
        for key in ("hostPath", "volumeName"):
            where = f"volumes[{index}].{key}"
            value = text(entry, key)
            if isinstance(value, Unknown):
                unknowns.append(f"{where} of {subject} is")
            elif value is not None:
                path = host_path(value)
                if path is not None:
                    yield HostMount(f'{where} "{value}"', path, read_only)
                elif key == "volumeName":
                    yield from self._named(where, value, read_only, subject, unknowns)
        source = text(entry, "fromContainer")
        if isinstance(source, Unknown):
            unknowns.append(f"volumes[{index}].fromContainer of {subject} is")
        elif source is not None:
            yield from self._from_container(index, source, subject, unknowns, seen)

    def _from_container(
        self, index: int, source: str, subject: str, unknowns: list[str], seen: set[int]
    ) -> Iterator[HostMount]:
        name, _, mode = source.partition(":")
        holder = self._by_name.get(name)
        if holder is None or id(holder) in seen:
            return
        where = f'volumes[{index}].fromContainer "{source}"'
        for mount in self._walk(holder, f'container "{name}"', unknowns, seen):
            yield HostMount(
                origin=f'{where} (container "{name}"\'s {mount.origin})',
                path=mount.path,
                read_only=True if mode == "ro" else mount.read_only,
            )

    def _mount_entry(
        self, index: int, entry: Any, subject: str, unknowns: list[str], key: str = ""
    ) -> Iterator[HostMount]:
        kind = text(entry, "type")
        source = text(entry, "source")
        where = f"{key}mounts[{index}]"
        if isinstance(kind, Unknown) or isinstance(source, Unknown) or is_unknown(entry):
            unknowns.append(f"{where} of {subject} is")
            return
        read_only = _read_only(entry)
        if kind == "bind" and source is not None:
            path = host_path(source)
            if path is not None:
                yield HostMount(f'{where}.source "{source}"', path, read_only)
        elif kind == "volume":
            options = record(entry, "volumeOptions")
            if isinstance(options, Unknown):
                unknowns.append(f"{where}.volumeOptions of {subject} are")
                return
            bind = _bind_of(text(options, "driverName"), unwrap(options.get("driverOptions")))
            if isinstance(bind, Unknown):
                unknowns.append(f"{where}.volumeOptions of {subject} are")
            elif bind is not None:
                written, path, bind_read_only = bind
                yield HostMount(
                    f'{where}.volumeOptions.driverOptions.device "{written}"',
                    path,
                    _combined(read_only, bind_read_only),
                )
            elif source is not None:
                yield from self._named(f"{where}.source", source, read_only, subject, unknowns)
