"""Host access rules: the host paths and devices a container reaches.

A bind mount of the project's own files (`./nginx.conf:/etc/nginx/nginx.conf:ro`,
`./data:/var/lib/mysql`, after compose or the program makes them absolute) passes every rule
here, as do named volumes, tmpfs mounts and subfolders or single files of the host's system
folders (`/etc/localtime`). What is reported is what the engine shows to be a way into the host:
- the Docker engine's socket, or a folder holding it, by any mount form (mandatory: the
  container drives the engine through it, read-only or not);
- a host system folder, or a folder holding one, mounted writable (mandatory: writing there
  takes the host over) or read-only (advisory: the host's files are shown);
- a host disk passed in as a device, or a device cgroup rule that opens the host's block
  devices to a container that may create device nodes (mandatory: the host's disk is read
  below every file permission).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._mounts import HostMount, MountIndex, covers, host_path, within
from ._props import (
    CONTAINER,
    Unknown,
    config_strings,
    container_label,
    finish,
    is_unknown,
    items,
    strings,
    text,
    unwrap,
)
from ._services import stack_also_for_services

DEFAULT_ENGINE_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"]
"""Where the Docker engine's socket lives on the host (policy config `engineSockets`)."""
SOCKET_NAME = "docker.sock"
"""A host path of this name is taken for an engine socket wherever it lies."""

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

_STRINGS = {"type": "array", "items": {"type": "string"}}


def _sockets(args: StackValidationArgs) -> list[str]:
    configured = config_strings(args, "engineSockets", DEFAULT_ENGINE_SOCKETS)
    return [p for p in (host_path(s) for s in configured) if p is not None]


def _socket_reached(mount: HostMount, sockets: list[str]) -> str | None:
    """The engine socket a mount makes visible (the path itself when it is named like one)."""
    if mount.path.rsplit("/", 1)[-1] == SOCKET_NAME:
        return mount.path
    reached = [s for s in sockets if covers(mount.path, s)]
    # Named as written under the mounted folder when one is, e.g. /var/run/docker.sock for /.
    return next((s for s in reached if within(s, mount.path)), reached[0] if reached else None)


def _socket_mount(args: StackValidationArgs, report: ReportViolation) -> None:
    index = MountIndex(args.resources)
    sockets = _sockets(args)
    unknowns: list[str] = []
    for resource, props, label in index.containers:
        mounts, undecided = index.host_mounts(props, label)
        unknowns.extend(undecided)
        for mount in mounts:
            socket = _socket_reached(mount, sockets)
            if socket is None:
                continue
            holds = "" if socket == mount.path else f" (it holds {socket})"
            report(
                f'container "{label}": {mount.origin} gives the container the Docker engine\'s '
                f"socket{holds}, and with it control of the engine and of the host, read-only "
                "or not; remove the mount.",
                resource.urn,
            )
    finish(args, unknowns)


docker_container_disallow_docker_socket_mount = StackValidationPolicy(
    name="docker-container-disallow-docker-socket-mount",
    description=(
        "No container sees the Docker engine's socket, or a folder holding it, by any mount "
        "form: volumes, bind mounts, bind-made volumes or another container's volumes."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "engineSockets": {
                **_STRINGS,
                "default": DEFAULT_ENGINE_SOCKETS,
                "description": "Host paths of the Docker engine's socket.",
            }
        }
    ),
    validate=stack_also_for_services(_socket_mount),
)


def _system_folders(args: StackValidationArgs) -> dict[str, str]:
    configured = config_strings(args, "hostSystemFolders", list(SYSTEM_FOLDERS))
    folders: dict[str, str] = {}
    for value in configured:
        path = host_path(value)
        if path is not None:
            folders[path] = SYSTEM_FOLDERS.get(path, "a host system folder (hostSystemFolders)")
    return folders


def _system_folder(mount: HostMount, folders: dict[str, str]) -> str | None:
    """How messages name the system folder a mount shows, when it shows one."""
    if mount.path in folders:
        return f"the host's {mount.path} ({folders[mount.path]})"
    held = next((f for f in folders if covers(mount.path, f)), None)
    if held is None:
        return None
    return f"{mount.path}, which holds the host's {held} ({folders[held]})"


def _system_mounts(
    read_only: bool, advice: Callable[[str, str, str], str]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        index = MountIndex(args.resources)
        folders = _system_folders(args)
        unknowns: list[str] = []
        for resource, props, label in index.containers:
            mounts, undecided = index.host_mounts(props, label)
            unknowns.extend(undecided)
            for mount in mounts:
                shown = _system_folder(mount, folders)
                if shown is None:
                    continue
                if isinstance(mount.read_only, Unknown):
                    unknowns.append(f'whether {mount.origin} of "{label}" is read-only is')
                elif mount.read_only == read_only:
                    report(advice(label, mount.origin, shown), resource.urn)
        finish(args, unknowns)

    return validate


def _writable_advice(label: str, origin: str, shown: str) -> str:
    return (
        f'container "{label}": {origin} mounts {shown} writable, so the container can take the '
        "host over by writing there; mount only the files the container needs, read-only where "
        "it can."
    )


def _read_only_advice(label: str, origin: str, shown: str) -> str:
    return (
        f'container "{label}": {origin} mounts {shown} read-only, which still shows the '
        "container everything the host keeps there; mount only the files the container needs."
    )


_FOLDERS_CONFIG = PolicyConfigSchema(
    properties={
        "hostSystemFolders": {
            **_STRINGS,
            "default": list(SYSTEM_FOLDERS),
            "description": "Host folders no container should see (nor any folder holding one).",
        }
    }
)

docker_container_disallow_writable_host_system_mount = StackValidationPolicy(
    name="docker-container-disallow-writable-host-system-mount",
    description=(
        "No container mounts a host system folder (/, /etc, /proc, /sys, /root, /boot, /dev, "
        "/usr, /var/lib/docker, ...), or a folder holding one, writable."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_FOLDERS_CONFIG,
    validate=stack_also_for_services(_system_mounts(False, _writable_advice)),
)

docker_container_disallow_read_only_host_system_mount = StackValidationPolicy(
    name="docker-container-disallow-read-only-host-system-mount",
    description=(
        "No container mounts a host system folder, or a folder holding one, even read-only."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_FOLDERS_CONFIG,
    validate=stack_also_for_services(_system_mounts(True, _read_only_advice)),
)

DISK_DEVICE = re.compile(
    r"^/dev/(?:(?:sd|hd|vd|xvd|nvme|mmcblk|loop|dm-|md|nbd|rbd|zd|sr)[^/]*|(?:disk|mapper)(?:/.*)?)$"
)
"""Host device paths of disks (whole disks, partitions, loop, device-mapper and RAID devices)."""
BLOCK_RULE = re.compile(r"^\s*([ab])\s")
"""A device cgroup rule for block devices (`b`) or for every device (`a`)."""


def _disk_device(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = unwrap(args.props)
    label = container_label(props, args.name)
    unknowns: list[str] = []
    devices = items(props, "devices")
    if isinstance(devices, Unknown):
        unknowns.append(f'the devices of container "{label}" are')
        devices = []
    for index, entry in enumerate(devices):
        written = text(entry, "hostPath")
        if isinstance(written, Unknown) or is_unknown(entry):
            unknowns.append(f'devices[{index}].hostPath of container "{label}" is')
            continue
        path = host_path(written) if written is not None else None
        if path is None:
            continue
        if path == "/dev":
            what = "every host device, the host's disks among them,"
        elif DISK_DEVICE.match(path):
            what = "a host disk device"
        else:
            continue
        report(
            f'container "{label}": devices[{index}].hostPath "{written}" passes {what} into '
            "the container, which then reads the host's disk below every file permission (and "
            "writes it, given w); remove the device, and mount only the folders the container "
            "needs.",
            None,
        )
    rules, rules_unknown = strings(items(props, "deviceCgroupRules"))
    if rules_unknown:
        unknowns.append(f'the deviceCgroupRules of container "{label}" are')
    for rule in rules:
        match = BLOCK_RULE.match(rule)
        if match is None:
            continue
        which = "every host device" if match.group(1) == "a" else "host block devices"
        report(
            f'container "{label}": deviceCgroupRules has "{rule}", which opens {which} to the '
            "container; with the MKNOD capability Docker gives by default it creates a node for "
            "the host's disk and reads it; remove the rule, and pass only the devices it needs "
            "with devices.",
            None,
        )
    finish(args, unknowns)


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
    docker_container_disallow_host_disk_device,
]
"""The host access rules, in README order."""
