"""Host access rules: the host paths and devices a container (or a swarm service) reaches.

A bind mount of the project's own files (`./nginx.conf:/etc/nginx/nginx.conf:ro`,
`./data:/var/lib/mysql`, after compose or the program makes them absolute) passes every rule
here, as do named volumes, tmpfs mounts and read-only files or subfolders of the host's system
folders (`/etc/localtime`). What is reported is what the engine shows to be a way into the host,
in whatever spelling reaches it (`_mounts.py` reads `/proc/self/root` as the host's `/` and
follows links on this machine, as the engine does when it binds them):
- a container runtime's control socket (Docker's, containerd's, CRI-O's, Podman's), any other
  socket under the host's `/run`, or a folder holding one, by any mount form (mandatory: the
  container drives the runtime, or the host service, through it, read-only or not);
- a host system folder, or a folder holding one, mounted writable (mandatory: writing there
  takes the host over) or read-only (advisory: the host's files are shown); a file or folder
  inside one mounted writable (mandatory: `/etc/cron.d`, `/proc/sys/kernel/core_pattern`);
- a path under another process's root folder, which the engine cannot mount (mandatory);
- a host disk passed in as a device, by name or through a link, or a device cgroup rule that
  opens the host's block devices to a container that may create device nodes (mandatory: the
  host's disk is read below every file permission).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._mounts import (
    MountIndex,
    canonical,
    covers,
    host_path,
    other_process_root,
    resolved,
    within,
)
from ._props import (
    Unknown,
    config_strings,
    finish,
    is_unknown,
    items,
    strings,
    text,
)
from ._subject import Subject, for_subjects

DEFAULT_ENGINE_SOCKETS = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/podman/podman.sock",
]
"""Where container runtimes keep their control sockets on the host (policy config
`engineSockets`): a folder holding one (`/run`, `/run/containerd`, `/`) hands it over too."""
RUNTIME_SOCKETS: dict[str, str] = {
    "docker.sock": "the Docker engine's socket",
    "containerd.sock": "containerd's socket (the runtime below the Docker engine)",
    "crio.sock": "CRI-O's socket",
    "podman.sock": "Podman's socket",
}
"""A host path of one of these names is a container runtime's control socket wherever it lies."""
RUNTIME_FOLDER = "/run"
"""The host's runtime folder (`/var/run` is a link to it): a `*.sock` there is a host service's
control socket."""
HOST_CONTROL_SOCKETS: dict[str, str] = {
    "/run/systemd/private": "systemd's private socket",
    "/run/dbus/system_bus_socket": "the system D-Bus socket",
}
"""Host control sockets not named `*.sock`: through them root in a container asks systemd to run
any command on the host (a transient unit)."""
DEFAULT_ALLOWED_SOCKETS: list[str] = []
"""Host sockets under `/run` that hand nothing of the host over (policy config
`allowedHostSockets`), such as a database's own socket."""

SYSTEM_FOLDERS: dict[str, str] = {
    "/": "the whole host filesystem",
    "/bin": "the host's programs",
    "/boot": "the host's kernel and boot loader",
    "/dev": "the host's device nodes and shared memory",
    "/etc": "the host's configuration: users, passwords, sudoers, cron",
    "/lib": "the host's libraries",
    "/lib64": "the host's libraries",
    "/proc": "the host's processes and kernel settings",
    "/root": "the home of the host's root: ssh keys, shell profile",
    "/sbin": "the host's system programs",
    "/sys": "the host's kernel and device settings",
    "/usr": "the host's programs and libraries",
    "/var/lib/docker": "the Docker engine's data: every container's files and images",
}
"""The host's system folders (policy config `hostSystemFolders`), with what each holds."""
WRITABLE_INSIDE: dict[str, tuple[str, ...]] = {
    "/usr": (
        "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
        "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
    ),
    "/dev": ("/dev/shm", "/dev/mqueue"),
}  # fmt: skip
"""Where writing inside these system folders takes the host (anywhere inside the others): the
programs and libraries of /usr, and the shared memory of /dev (a device node bound in is still
closed by the device cgroup)."""
DEFAULT_HARMLESS_PATHS = [
    "/etc/localtime",
    "/etc/timezone",
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/log",
    "/usr/share/zoneinfo",
]
"""Files and folders inside system folders whose writing takes nothing of the host (policy config
`harmlessHostPaths`): the time zone, the null and random devices, the syslog socket."""

_STRINGS = {"type": "array", "items": {"type": "string"}}


def _paths(args: StackValidationArgs, key: str, default: list[str]) -> list[str]:
    configured = config_strings(args, key, default)
    return [p for p in (host_path(s) for s in configured) if p is not None]


@dataclass(frozen=True)
class _Socket:
    """A control socket a mount hands over."""

    path: str
    """The socket's host path."""
    what: str
    """How messages name it."""
    runtime: bool
    """Whether it is a container runtime's (else another host service's)."""


def _socket_named(path: str) -> _Socket | None:
    name = path.rsplit("/", 1)[-1]
    what = RUNTIME_SOCKETS.get(name)
    return None if what is None else _Socket(path, what, True)


def _socket_reached(path: str, sockets: list[str], allowed: set[str]) -> _Socket | None:
    """The control socket mounting host path `path` makes visible, if any."""
    named = _socket_named(path)
    if named is not None:
        return named
    reached = [s for s in sockets if covers(path, s)]
    if reached:
        # Named as written under the mounted folder when one is, e.g. /var/run/docker.sock for /.
        socket = next((s for s in reached if within(s, path)), reached[0])
        # A configured socket of another name is the Docker engine's (`engineSockets`).
        return _socket_named(socket) or _Socket(socket, RUNTIME_SOCKETS["docker.sock"], True)
    place = canonical(path)
    if place.endswith(".sock") and within(place, RUNTIME_FOLDER) and place not in allowed:
        return _Socket(path, f'the host service socket "{path}"', False)
    control = next((s for s in HOST_CONTROL_SOCKETS if covers(path, s) and s not in allowed), None)
    if control is not None:
        return _Socket(control, HOST_CONTROL_SOCKETS[control], False)
    return None


def _socket_mount(args: StackValidationArgs, report: ReportViolation) -> None:
    index = MountIndex(args.resources)
    sockets = _paths(args, "engineSockets", DEFAULT_ENGINE_SOCKETS)
    allowed = {canonical(p) for p in _paths(args, "allowedHostSockets", DEFAULT_ALLOWED_SOCKETS)}
    unknowns: list[str] = []
    for holder in index.containers:
        mounts, undecided = index.host_mounts(holder)
        unknowns.extend(undecided)
        for mount in mounts:
            found = next(
                (
                    (socket, path, origin)
                    for path, origin in mount.judged()
                    if (socket := _socket_reached(path, sockets, allowed)) is not None
                ),
                None,
            )
            if found is None:
                continue
            socket, path, origin = found
            holds = (
                "" if canonical(socket.path) == canonical(path) else f" (it holds {socket.path})"
            )
            if not socket.runtime:
                report(
                    f"{holder.subject}: {origin} gives the container {socket.what}{holds}, which "
                    "answers to whoever connects with what that host service may do as root, "
                    "read-only or not; remove the mount, or list the socket in this policy's "
                    "allowedHostSockets config if its service hands out nothing of the host.",
                    holder.resource.urn,
                )
                continue
            docker = socket.what == RUNTIME_SOCKETS["docker.sock"]
            control = "the engine" if docker else "containers"
            report(
                f"{holder.subject}: {origin} gives the container {socket.what}{holds}, and with "
                f"it control of {control} and of the host, read-only or not; remove the mount.",
                holder.resource.urn,
            )
    finish(args, unknowns)


docker_container_disallow_docker_socket_mount = StackValidationPolicy(
    name="docker-container-disallow-docker-socket-mount",
    description=(
        "No container or service sees a container runtime's control socket (Docker's, "
        "containerd's, CRI-O's, Podman's), any other socket under the host's /run, or a folder "
        "holding one, by any mount form: volumes, bind mounts, bind-made volumes or another "
        "container's volumes."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "engineSockets": {
                **_STRINGS,
                "default": DEFAULT_ENGINE_SOCKETS,
                "description": "Host paths of the Docker engine's and other runtimes' sockets.",
            },
            "allowedHostSockets": {
                **_STRINGS,
                "default": DEFAULT_ALLOWED_SOCKETS,
                "description": "Sockets under /run whose services hand out nothing of the host.",
            },
        }
    ),
    validate=_socket_mount,
)


def _system_folders(args: StackValidationArgs) -> dict[str, str]:
    configured = config_strings(args, "hostSystemFolders", list(SYSTEM_FOLDERS))
    folders: dict[str, str] = {}
    for value in configured:
        path = host_path(value)
        if path is not None:
            folders[path] = SYSTEM_FOLDERS.get(path, "a host system folder (hostSystemFolders)")
    return folders


def _system_folder(
    path: str, folders: dict[str, str], harmless: set[str], inside: bool
) -> str | None:
    """How messages name the system folder mounting `path` shows (or, with `inside`, writes
    into), when it shows one."""
    if path in folders:
        return f"the host's {path} ({folders[path]})"
    held = next((f for f in folders if covers(path, f)), None)
    if held is not None:
        return f"{path}, which holds the host's {held} ({folders[held]})"
    if not inside or _harmless(path, harmless):
        return None
    holder = next((f for f in folders if f != "/" and covers(f, path)), None)
    if holder is None:
        return None
    scope = WRITABLE_INSIDE.get(holder)
    if scope is not None and not any(covers(part, path) for part in scope):
        return None
    return f"{path}, inside the host's {holder} ({folders[holder]}),"


def _harmless(path: str, harmless: set[str]) -> bool:
    return any(within(canonical(path), h) for h in harmless)


def _system_mounts(
    read_only: bool, advice: Callable[[str, str, str], str]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        index = MountIndex(args.resources)
        folders = _system_folders(args)
        harmless = {canonical(p) for p in _paths(args, "harmlessHostPaths", DEFAULT_HARMLESS_PATHS)}
        unknowns: list[str] = []
        for holder in index.containers:
            mounts, undecided = index.host_mounts(holder)
            unknowns.extend(undecided)
            for mount in mounts:
                if other_process_root(mount.path) is not None:
                    continue  # the engine refuses it: docker-container-disallow-process-root-mount
                if not read_only and _harmless(mount.path, harmless):
                    continue
                found = next(
                    (
                        (shown, origin)
                        for path, origin in mount.judged()
                        if (shown := _system_folder(path, folders, harmless, not read_only))
                    ),
                    None,
                )
                if found is None:
                    continue
                if isinstance(mount.read_only, Unknown):
                    unknowns.append(f"whether {mount.origin} of {holder.subject} is read-only is")
                elif mount.read_only == read_only:
                    report(advice(holder.subject, found[1], found[0]), holder.resource.urn)
        finish(args, unknowns)

    return validate


def _writable_advice(subject: str, origin: str, shown: str) -> str:
    return (
        f"{subject}: {origin} mounts {shown} writable, so the container can take the host over "
        "by writing there; mount only the files the container needs, read-only where it can."
    )


def _read_only_advice(subject: str, origin: str, shown: str) -> str:
    return (
        f"{subject}: {origin} mounts {shown} read-only, which still shows the container "
        "everything the host keeps there; mount only the files the container needs."
    )


_FOLDERS = {
    "hostSystemFolders": {
        **_STRINGS,
        "default": list(SYSTEM_FOLDERS),
        "description": "Host folders no container should see (nor any folder holding one).",
    }
}
_WRITABLE_CONFIG = PolicyConfigSchema(
    properties={
        **_FOLDERS,
        "harmlessHostPaths": {
            **_STRINGS,
            "default": DEFAULT_HARMLESS_PATHS,
            "description": "Files inside system folders that may be mounted writable.",
        },
    }
)

docker_container_disallow_writable_host_system_mount = StackValidationPolicy(
    name="docker-container-disallow-writable-host-system-mount",
    description=(
        "No container or service mounts a host system folder (/, /etc, /proc, /sys, /root, "
        "/boot, /dev, /usr, /var/lib/docker, ...), a folder holding one, or a file or folder "
        "inside one (/etc/cron.d, /proc/sys/kernel/core_pattern), writable."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_WRITABLE_CONFIG,
    validate=_system_mounts(False, _writable_advice),
)

docker_container_disallow_read_only_host_system_mount = StackValidationPolicy(
    name="docker-container-disallow-read-only-host-system-mount",
    description=(
        "No container or service mounts a host system folder, or a folder holding one, even "
        "read-only."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(properties=_FOLDERS),
    validate=_system_mounts(True, _read_only_advice),
)


def _process_root(args: StackValidationArgs, report: ReportViolation) -> None:
    index = MountIndex(args.resources)
    unknowns: list[str] = []
    for holder in index.containers:
        mounts, undecided = index.host_mounts(holder)
        unknowns.extend(undecided)
        for mount in mounts:
            root = other_process_root(mount.path)
            if root is None:
                continue
            report(
                f"{holder.subject}: {mount.origin} lies under {root}, the root folder of another "
                "process; the engine makes its mounts inside the container's own mount namespace, "
                f'where that link does not resolve, and the container fails at start ("error '
                f'mounting "{root}" to rootfs ...: invalid argument"); mount the host path itself '
                "if the container must see it.",
                holder.resource.urn,
            )
    finish(args, unknowns)


docker_container_disallow_process_root_mount = StackValidationPolicy(
    name="docker-container-disallow-process-root-mount",
    description=(
        "No container or service mounts a path under another process's root folder "
        "(/proc/<pid>/root), which the engine cannot mount."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_process_root,
)

DISK_DEVICE = re.compile(
    r"^/dev/(?:(?:sd|hd|vd|xvd|nvme|mmcblk|loop|dm-|md|nbd|rbd|zd|sr)[^/]*|zfs"
    r"|(?:disk|mapper|block|md|zvol)(?:/.*)?)$"
)
"""Host device paths of disks (whole disks, partitions, loop, device-mapper and RAID devices,
and the kernel's and udev's links to them: `/dev/block/8:0`, `/dev/disk/by-uuid/...`)."""
CHARACTER_DEVICE_FOLDERS = frozenset(
    {
        "bus", "char", "cpu", "dri", "dvb", "fd", "hugepages", "infiniband", "input", "mqueue",
        "net", "nvidia-caps", "pts", "serial", "shm", "snd", "usb", "v4l", "vfio",
    }
)  # fmt: skip
"""Folders of /dev that hold character devices (or nothing a disk is): any other
`/dev/<folder>/<name>` is read as LVM's `/dev/<volume group>/<logical volume>` link to a disk."""
BLOCK_RULE = re.compile(r"^\s*([ab])\s")
"""A device cgroup rule for block devices (`b`) or for every device (`a`)."""


def _block_device_here(path: str) -> bool:
    """Whether `path` is a block device on this machine (through any links), as the engine, which
    follows a device path's links, would pass it when it runs here."""
    if within(path, "/proc"):
        return False
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _disk_reached(path: str) -> str | None:
    """How messages name the host disk passing device `path` hands over, if it does."""
    if path == "/dev":
        return "every host device, the host's disks among them,"
    if DISK_DEVICE.match(path):
        return "a host disk device"
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "dev" and parts[2] not in CHARACTER_DEVICE_FOLDERS:
        return "a host disk device (the path of a logical volume, /dev/<group>/<volume>)"
    target = resolved(path)
    if target is not None and DISK_DEVICE.match(target):
        return f'a host disk device (a link to "{target}" on this machine)'
    if _block_device_here(path):
        return "a host disk device (a block device on this machine)"
    return None


@for_subjects(services=False)
def _disk_device(subject: Subject) -> Iterator[str]:
    devices = subject.read(items, "devices")
    if isinstance(devices, Unknown):
        subject.undecided(f"the devices of {subject.subject} are")
        devices = []
    for index, entry in enumerate(devices):
        written = text(entry, "hostPath")
        if isinstance(written, Unknown) or is_unknown(entry):
            subject.undecided(f"devices[{index}].hostPath of {subject.subject} is")
            continue
        path = host_path(written) if written is not None else None
        what = _disk_reached(path) if path is not None else None
        if what is None:
            continue
        yield (
            f'devices[{index}].hostPath "{written}" passes {what} into the container, which then '
            "reads the host's disk below every file permission (and writes it, given w); remove "
            "the device, and mount only the folders the container needs"
        )
    rules, rules_unknown = strings(subject.read(items, "deviceCgroupRules"))
    if rules_unknown:
        subject.undecided(f"the deviceCgroupRules of {subject.subject} are")
    for rule in rules:
        match = BLOCK_RULE.match(rule)
        if match is None:
            continue
        which = "every host device" if match.group(1) == "a" else "host block devices"
        yield (
            f'deviceCgroupRules has "{rule}", which opens {which} to the container; with the '
            "MKNOD capability Docker gives by default it creates a node for the host's disk and "
            "reads it; remove the rule, and pass only the devices it needs with devices"
        )


docker_container_disallow_host_disk_device = ResourceValidationPolicy(
    name="docker-container-disallow-host-disk-device",
    description=(
        "No container is given the host's disks: no disk device (or all of /dev) in devices, no "
        "device cgroup rule for block devices."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_disk_device,
)

HOST_POLICIES = [
    docker_container_disallow_docker_socket_mount,
    docker_container_disallow_writable_host_system_mount,
    docker_container_disallow_read_only_host_system_mount,
    docker_container_disallow_process_root_mount,
    docker_container_disallow_host_disk_device,
]
"""The host access rules, in README order."""
