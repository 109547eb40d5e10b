"""The one container spec every component uses, and the one place containers are built."""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import pulumi
import pulumi_docker as docker

from .checking import Int, Seq, recast
from .images import BuildSpec, ImageInput, ImageSet
from .naming import capability_problem, container_name_problem, image_reference_problem
from .problems import Location, Problem, render_path
from .services import wire
from .vocabulary import (
    HOSTNAME_LIMIT,
    IPC_MODES,
    LABEL_EXPOSE,
    LABEL_GROUP,
    LABEL_PRESET,
    LABEL_ROLE,
    LABEL_STACK,
    MIN_HEALTHCHECK_NS,
    MIN_MEMORY_BYTES,
    MIN_NANO_CPUS,
    MONITOR_CAPABILITIES,
    PRESET_MONITOR,
    ULIMIT_NAMES,
    is_signal,
    parse_cpus,
    sysctl_problem,
)
from .volume import NamedVolume

Role = Literal[
    "static", "dns-member", "joined-owner", "joined-sidecar", "service", "sidecar", "swarm-service"
]
Restart = Literal["no", "on-failure", "always", "unless-stopped"]
StrInput = str | pulumi.Output[str]
"""A string known now, or one that another resource (or a secret) provides."""


@dataclass(frozen=True)
class PortSpec:
    """A port published on the host."""

    internal: Int
    """The container port."""
    external: Int | None = None
    """The host port; None lets the engine pick one."""
    host_ip: str = "127.0.0.1"
    """The host address to bind; `0.0.0.0` publishes on every interface."""
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    """The transport protocol."""
    mode: Literal["ingress", "host"] = "ingress"
    """How a swarm service publishes it: on every node through the routing mesh (`ingress`),
    or on the node each task runs on (`host`: one task per node can bind it). A container on
    one engine binds the port on its host either way."""


@dataclass(frozen=True)
class HealthcheckSpec:
    """How the engine checks that the container is healthy."""

    test: Seq[str]
    """The check, e.g. `("CMD", "wget", "-q", "-O-", "http://127.0.0.1/")`."""
    interval: str = "10s"
    """Time between checks."""
    timeout: str = "5s"
    """Time a check may take."""
    retries: Int = 3
    """Failures in a row before the container counts as unhealthy."""
    start_period: str = "0s"
    """Grace period after start."""


@dataclass(frozen=True)
class MountSpec:
    """A volume, a host folder or file, or a tmpfs mounted into the container."""

    target: str
    """The absolute path inside the container."""
    type: Literal["volume", "bind", "tmpfs"] = "volume"
    """`volume` (a named volume), `bind` (a host path) or `tmpfs` (memory)."""
    source: str | NamedVolume | docker.Volume | pulumi.Output[str] | None = None
    """The volume (a `NamedVolume`, a `docker.Volume`, or the engine name of one, as a string
    or an Output: a resource's name Output makes the container depend on it) or the absolute
    host path; None for a tmpfs, or for an anonymous volume."""
    read_only: bool = False
    """Mount it read-only."""
    tmpfs_size: Int | None = None
    """A tmpfs's size limit in bytes."""
    tmpfs_mode: Int | None = None
    """A tmpfs's file mode, as the number the engine takes (compose passes its `mode` as it is
    written: `1777` is the number 1777, `0o1777` is 1023)."""
    create_host_path: bool = False
    """A bind mount whose host folder is created when missing (as `docker run -v` and compose's
    short syntax do); otherwise the engine refuses a missing host path."""


FILE_MODE = "0444"
"""The mode of a secret or config file copied into a container when none is given: readable
by every user, as compose writes it (the compose specification's default)."""


@dataclass(frozen=True)
class SecretSpec:
    """A secret the container reads from a file, an environment variable, or both."""

    value: StrInput | None = None
    """The secret's text: a Pulumi secret Output, or a plain string made secret here. In stack
    config it is never written: the stack's `secrets` section says where it comes from."""
    file: str | None = None
    """The absolute path of the file the secret is copied to before the container starts,
    owned by `uid`:`gid` (root by default) with `mode`."""
    env: str | None = None
    """The environment variable that holds the secret (without the text's final line break,
    which a secret read from a file usually ends with)."""
    mode: str | None = None
    """The file's mode in octal, e.g. `"0440"`; `FILE_MODE` (0444, readable by all) when
    None."""
    uid: str | None = None
    """The numeric owner of the file; root when None."""
    gid: str | None = None
    """The numeric group of the file; root when None."""


@dataclass(frozen=True)
class ConfigSpec:
    """A configuration file placed in the container before it starts, as compose places one:
    text is copied in (`content`), a host file is bind-mounted read-only (`source`)."""

    target: str | None = None
    """The absolute path of the file in the container; `/<name>` when None."""
    content: StrInput | None = None
    """The file's text, copied in owned by `uid`:`gid` with `mode`. In stack config it is not
    written here: the stack's `configs` section says where it comes from."""
    source: str | None = None
    """The absolute path of a host file mounted read-only at `target`: its mode and owner are
    the host file's, so `mode`, `uid` and `gid` do not apply."""
    mode: str | None = None
    """The copied file's mode in octal, e.g. `"0440"`; `FILE_MODE` (0444) when None."""
    uid: str | None = None
    """The numeric owner of the copied file; root when None."""
    gid: str | None = None
    """The numeric group of the copied file; root when None."""


@dataclass(frozen=True)
class DeviceSpec:
    """A host device made available inside the container."""

    host_path: str
    """The device on the host, e.g. `/dev/net/tun`."""
    container_path: str | None = None
    """Where it appears in the container; the host path when None."""
    permissions: str = "rwm"
    """Cgroup permissions: any of r, w and m."""


@dataclass(frozen=True)
class DeviceRequestSpec:
    """Devices asked of a device driver (GPUs), as `docker run --gpus` asks them."""

    driver: str | None = None
    """The driver (`nvidia`, `cdi`); the engine picks one by the capabilities when None."""
    count: Int | None = None
    """How many devices (-1: all); None with `device_ids`."""
    device_ids: Seq[str] = ()
    """The devices by id."""
    capabilities: Seq[str] = ()
    """The capabilities every device must have (`gpu`, `compute`)."""
    options: Mapping[str, str] = field(default_factory=dict)
    """The driver's options."""


@dataclass(frozen=True)
class UlimitSpec:
    """A resource limit of the container's processes."""

    soft: Int
    """The soft limit."""
    hard: Int
    """The hard limit."""


@dataclass(frozen=True)
class LoggingSpec:
    """Where the engine sends the container's output."""

    driver: str = "json-file"
    """The log driver."""
    options: Mapping[str, str] = field(default_factory=dict)
    """The driver's options."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything about a container that is not how it is networked."""

    image: ImageInput
    """The image reference, e.g. `busybox:1.36`, or an image the program pulls or builds itself
    (a `docker.RemoteImage`, a `docker.Image`, or an Output of a reference)."""
    build: BuildSpec | None = None
    """Build the image from a Dockerfile instead of pulling it; `image` names the result."""
    pull: bool | None = None
    """Pull the image (True), use the engine's copy (False); None follows the image set."""
    platform: str | None = None
    """The platform (`os[/arch[/variant]]`) the image is pulled for and the container runs as;
    the engine's own when None."""
    command: Seq[str] = ()
    """The command, replacing the image's default."""
    entrypoint: Seq[str] = ()
    """The entrypoint, replacing the image's default."""
    env: Mapping[str, StrInput] = field(default_factory=dict)
    """Environment variables."""
    ports: Seq[PortSpec] = ()
    """Ports published on the host."""
    expose: Seq[str] = ()
    """Ports the container serves to its peers, recorded as a label (peers on a user-defined
    network reach every port; nothing is published)."""
    healthcheck: HealthcheckSpec | None = None
    """The health check, if any."""
    restart: Restart = "unless-stopped"
    """The restart policy."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels (the component adds stack, group and role labels)."""
    capabilities_add: Seq[str] = ()
    """Linux capabilities to add."""
    capabilities_drop: Seq[str] = ()
    """Linux capabilities to drop."""
    privileged: bool = False
    """Give the container every capability and every host device."""
    hostname: str | None = None
    """The hostname inside the container."""
    dns: Seq[str] = ()
    """DNS servers replacing the engine's."""
    extra_hosts: Mapping[str, str] = field(default_factory=dict)
    """Extra host-to-IP mappings written into /etc/hosts."""
    mounts: Seq[MountSpec] = ()
    """Volumes, host paths and tmpfs mounts."""
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    """tmpfs mounts by container path, each with its mount options (`size=64m,mode=1777`, or
    empty), as `docker run --tmpfs` takes them."""
    secrets: Mapping[str, SecretSpec] = field(default_factory=dict)
    """Secrets by name, written to files or environment variables."""
    configs: Mapping[str, ConfigSpec] = field(default_factory=dict)
    """Configuration files by name, copied in or bind-mounted read-only."""
    user: str | None = None
    """The user (and group) the processes run as, e.g. `1000:1000`."""
    working_dir: str | None = None
    """The working directory of the command."""
    init: bool = False
    """Run an init process that forwards signals and reaps zombies."""
    devices: Seq[DeviceSpec] = ()
    """Host devices made available inside the container."""
    device_requests: Seq[DeviceRequestSpec] = ()
    """Devices asked of a device driver (GPUs); the engine refuses to start the container when
    no driver can give them."""
    sysctls: Mapping[str, str] = field(default_factory=dict)
    """Namespaced kernel parameters."""
    ulimits: Mapping[str, UlimitSpec] = field(default_factory=dict)
    """Resource limits by name (`nofile`, `nproc`, ...)."""
    logging: LoggingSpec | None = None
    """The log driver and its options; the engine's default when None."""
    stop_signal: str | None = None
    """The signal that stops the container; the image's default when None."""
    stop_grace_period: Int | None = None
    """Seconds to wait after the stop signal before killing the container."""
    security_opt: Seq[str] = ()
    """Security options (`no-new-privileges:true`, `seccomp=...`, `apparmor=...`)."""
    read_only: bool = False
    """Mount the container's root filesystem read-only."""
    shm_size: Int | None = None
    """The size of /dev/shm in MiB."""
    memory: Int | None = None
    """The memory limit in MiB."""
    memory_reservation: Int | None = None
    """The soft memory limit in MiB, enforced when the host runs short of memory."""
    cpus: str | None = None
    """How many CPUs the container may use, e.g. `"0.5"`."""
    pid_mode: Literal["host"] | None = None
    """Share the host's process namespace (`host`)."""
    ipc_mode: str | None = None
    """The IPC namespace: `private`, `shareable`, `host` or `container:<name>`."""
    tty: bool = False
    """Give the container a terminal (`docker run -t`)."""
    stdin_open: bool = False
    """Keep the container's standard input open (`docker run -i`)."""


SpecT = TypeVar("SpecT", bound=ContainerSpec)


def spec_as(cls: type[SpecT], value: ContainerSpec, /, **changes: Any) -> SpecT:
    """A `cls` (a spec extending `ContainerSpec`) with `value`'s `ContainerSpec` fields and
    `changes`: a member, an owner or a config value made a service spec, without running
    `__init__` over every field."""
    return recast(cls, value, ContainerSpec, **changes)


@dataclass(frozen=True)
class Placement:
    """How a container is networked, as the builder writes it on the wire."""

    network_mode: str | None = None
    """`container:<name>`, `host`, `none` or `bridge`; None for the provider's default."""
    attachments: tuple[WireAttachment, ...] = ()
    """Each network the container joins."""


@dataclass(frozen=True)
class WireAttachment:
    """One network attachment as the provider takes it."""

    network: StrInput
    """The network's engine name."""
    aliases: tuple[str, ...] = ()
    """Extra names on the network."""
    ipv4_address: str | None = None
    """The static IPv4 address, if any."""
    ipv6_address: str | None = None
    """The static IPv6 address, if any."""
    gw_priority: int | None = None
    """The endpoint's gateway priority, if any."""
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    """The endpoint's driver options (the interface name)."""


_MEMORY_UNITS = {"b": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024}


def name_problems(field: str | Location, name: str) -> list[Problem]:
    """The problem of a container name the engine would refuse, placed at `field`."""
    reason = container_name_problem(name)
    return [Problem(field, reason)] if reason else []


def spec_problems(spec: ContainerSpec) -> list[Problem]:
    """What is wrong with a container's spec, whatever its group."""
    problems = _reference_problems(spec)
    problems += _storage_problems(spec)
    problems += _process_problems(spec)
    problems += _mount_target_problems(spec)
    return problems


def _reference_problems(spec: ContainerSpec) -> list[Problem]:
    """Names, addresses, ports and durations the engine would refuse."""
    problems: list[Problem] = []
    if isinstance(spec.image, str) and not spec.image.strip():
        problems.append(Problem("image", "is empty; name an image such as busybox:1.36"))
    elif isinstance(spec.image, str):
        reason = image_reference_problem(spec.image)
        if reason:
            problems.append(Problem("image", reason))
    for attr in ("capabilities_add", "capabilities_drop"):
        for index, capability in enumerate(getattr(spec, attr)):
            reason = capability_problem(capability)
            if reason:
                problems.append(Problem((attr, index), reason))
    for index, server in enumerate(spec.dns):
        if _ip_problem(server) and not _zone_ok(server):
            problems.append(Problem(("dns", index), f"{json.dumps(server)} is not an IP address"))
    for host, address in spec.extra_hosts.items():
        if _ip_problem(address) and address != "host-gateway":
            problems.append(
                Problem(
                    ("extra_hosts", host),
                    f"{json.dumps(address)} is not an IP address (or host-gateway; an IPv6 "
                    "address takes no %zone)",
                )
            )
    if spec.ipc_mode is not None:
        mode = spec.ipc_mode
        if not (mode in IPC_MODES or (mode.startswith("container:") and len(mode) > 10)):
            problems.append(
                Problem(
                    "ipc_mode",
                    f"{json.dumps(mode)} is not an IPC mode; the engine refuses to start the "
                    'container with "Invalid IPC mode"; write private, shareable, none, host or '
                    "container:<name>",
                )
            )
    for index, port in enumerate(spec.ports):
        if _ip_problem(port.host_ip):
            problems.append(
                Problem(
                    ("ports", index, "host_ip"),
                    f'"{port.host_ip}" is not an IP address; use 127.0.0.1, 0.0.0.0 or a host '
                    "address",
                )
            )
        for attr in ("internal", "external"):
            number = getattr(port, attr)
            if number is not None and not 1 <= number <= 65535:
                problems.append(
                    Problem(("ports", index, attr), f"{number} is not a port (1-65535)")
                )
    if spec.healthcheck is not None:
        for attr in ("interval", "timeout", "start_period"):
            value = getattr(spec.healthcheck, attr)
            ns = wire.duration_ns(value)
            if ns is None:
                problems += wire.duration_problems(("healthcheck", attr), value)
            elif 0 < ns < MIN_HEALTHCHECK_NS:
                problems.append(
                    Problem(
                        ("healthcheck", attr),
                        f"{_q(value)} is below 1ms, which the engine refuses; give 1ms or more",
                    )
                )
        if spec.healthcheck.retries < 0:
            problems.append(
                Problem(("healthcheck", "retries"), f"{spec.healthcheck.retries} is below 0")
            )
        if not spec.healthcheck.test:
            problems.append(Problem(("healthcheck", "test"), 'is empty; give e.g. ["CMD", "true"]'))
    return problems


def _storage_problems(spec: ContainerSpec) -> list[Problem]:
    """Mounts, secrets, devices and limits the engine would refuse."""
    problems: list[Problem] = []
    for index, mount in enumerate(spec.mounts):
        problems += [p.under("mounts", index) for p in _mount_problems(mount)]
    written: dict[tuple[str, str], str] = {}
    for name, secret in spec.secrets.items():
        for kind, where in (("file", secret.file), ("env", secret.env)):
            if where is None:
                continue
            first = written.setdefault((kind, where), f'secret "{name}"')
            if first != f'secret "{name}"':
                problems.append(
                    Problem(
                        ("secrets", name, kind),
                        f'"{where}" is also where {first} goes; give each its own',
                    )
                )
        if secret.file is not None and spec.read_only:
            problems.append(
                Problem(
                    ("secrets", name, "file"),
                    "cannot be written into a read-only root filesystem (the engine refuses "
                    'the upload: "container rootfs is marked read-only"); give the secret as '
                    "env, or drop read_only",
                )
            )
        if secret.value is None:
            problems.append(
                Problem(("secrets", name, "value"), "is missing; give the secret's text")
            )
        if secret.file is None and secret.env is None:
            problems.append(
                Problem(("secrets", name), "names neither a file nor an env variable; give one")
            )
        if secret.file is not None and not secret.file.startswith("/"):
            problems.append(
                Problem(("secrets", name, "file"), f'"{secret.file}" is not an absolute path')
            )
        if secret.env is not None and secret.env in spec.env:
            problems.append(
                Problem(
                    ("secrets", name, "env"),
                    f'"{secret.env}" is also set in env; set it in one place',
                )
            )
        problems += [p.under("secrets", name) for p in file_owner_problems(secret)]
        if secret.file is None:
            problems += [
                Problem(("secrets", name, attr), "applies to a secret's file; give file too")
                for attr in ("mode", "uid", "gid")
                if getattr(secret, attr) is not None
            ]
    for name, config in spec.configs.items():
        problems += [p.under("configs", name) for p in _config_problems(config, spec.read_only)]
        target = config_target(name, config)
        first = written.setdefault(("file", target), f'config "{name}"')
        if first != f'config "{name}"':
            problems.append(
                Problem(
                    ("configs", name, "target"),
                    f'"{target}" is also where {first} goes; give each its own',
                )
            )
    for index, device in enumerate(spec.devices):
        if not device.host_path.startswith("/"):
            problems.append(
                Problem(("devices", index, "host_path"), f'"{device.host_path}" is not absolute')
            )
        if not device.permissions or set(device.permissions) - set("rwm"):
            problems.append(
                Problem(
                    ("devices", index, "permissions"),
                    f'"{device.permissions}" is not a mix of r, w and m',
                )
            )
    for name, limit in spec.ulimits.items():
        if limit.soft > limit.hard:
            problems.append(
                Problem(("ulimits", name), f"soft limit {limit.soft} is above hard {limit.hard}")
            )
    for path in spec.tmpfs:
        if not path.startswith("/"):
            problems.append(Problem(("tmpfs", path), f'"{path}" is not an absolute path'))
    for attr in ("stop_grace_period", "shm_size", "memory", "memory_reservation"):
        value = getattr(spec, attr)
        if value is not None and value < 0:
            problems.append(Problem(attr, f"{value} is below 0"))
    return problems


def _q(value: str) -> str:
    """A user's string as a message shows it: quoted, control characters escaped."""
    return json.dumps(value, ensure_ascii=False)


def _process_problems(spec: ContainerSpec) -> list[Problem]:
    """Process, resource and kernel settings the engine refuses (or, for a shared IPC
    namespace's shm_size, ignores)."""
    problems: list[Problem] = []
    for attr in ("command", "entrypoint"):
        for index, arg in enumerate(getattr(spec, attr)):
            if "\x00" in arg:
                problems.append(Problem((attr, index), f"{_q(arg)} holds a NUL byte; remove it"))
    for name, value in spec.env.items():
        if name == "":
            problems.append(Problem("env", "has an empty variable name, which the engine refuses"))
        elif "\x00" in name or (isinstance(value, str) and "\x00" in value):
            problems.append(Problem(("env", name), "holds a NUL byte; remove it"))
    if spec.working_dir is not None and not spec.working_dir.startswith("/"):
        problems.append(Problem("working_dir", f"{_q(spec.working_dir)} is not an absolute path"))
    if spec.stop_signal is not None and not is_signal(spec.stop_signal):
        problems.append(
            Problem(
                "stop_signal",
                f"{_q(spec.stop_signal)} is not a signal the engine knows; give a name such as "
                "SIGTERM, or a number",
            )
        )
    if spec.hostname is not None and len(spec.hostname) > HOSTNAME_LIMIT:
        problems.append(
            Problem(
                "hostname",
                f"has {len(spec.hostname)} characters; the kernel takes at most {HOSTNAME_LIMIT}",
            )
        )
    if spec.memory is not None and 0 < spec.memory * 1024 * 1024 < MIN_MEMORY_BYTES:
        problems.append(
            Problem("memory", f"{spec.memory} MiB is below the engine's least limit, 6 MiB")
        )
    if spec.cpus is not None:
        cpus = parse_cpus(spec.cpus)
        if cpus is None or (cpus * 1_000_000_000).denominator != 1:
            problems.append(Problem("cpus", f'{_q(spec.cpus)} is not a number such as "0.5"'))
        elif cpus != 0 and cpus * 1_000_000_000 < MIN_NANO_CPUS:
            problems.append(
                Problem("cpus", f"{_q(spec.cpus)} is below 0.01, which the engine cannot apply")
            )
    for name in spec.ulimits:
        if name.lower() not in ULIMIT_NAMES:
            problems.append(
                Problem(
                    ("ulimits", name),
                    f"is not a resource limit the engine knows; use one of "
                    f"{', '.join(sorted(ULIMIT_NAMES))}",
                )
            )
    for name in spec.sysctls:
        reason = sysctl_problem(_q(name)[1:-1], host_ipc=spec.ipc_mode == "host")
        if reason is not None:
            problems.append(
                Problem(
                    ("sysctls", name),
                    f"cannot be set in a container (runc: {reason}); set it on the host",
                )
            )
    shared_ipc = spec.ipc_mode is not None and (
        spec.ipc_mode == "host" or spec.ipc_mode.startswith("container:")
    )
    if spec.shm_size and shared_ipc:
        problems.append(
            Problem(
                "shm_size",
                f"is ignored with ipc_mode {_q(str(spec.ipc_mode))}: the container uses that "
                "namespace's /dev/shm; set the size on its owner, or drop it",
            )
        )
    return problems


def _mount_target_problems(spec: ContainerSpec) -> list[Problem]:
    """Mounts the engine refuses for where they land: two on one target, one on `/`, a
    read-only anonymous volume."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, mount in enumerate(spec.mounts):
        if not mount.target.startswith("/"):
            continue  # _mount_problems says so
        target = "/" + posixpath.normpath(mount.target).lstrip("/")
        if target == "/":
            problems.append(
                Problem(
                    ("mounts", index, "target"), 'is "/", which the engine refuses; mount below it'
                )
            )
        elif target in seen:
            problems.append(
                Problem(
                    ("mounts", index, "target"),
                    f"{_q(target)} is already the target of mounts[{seen[target]}]; the engine "
                    "refuses a second mount there",
                )
            )
        else:
            seen[target] = index
        if mount.type == "volume" and mount.source is None and mount.read_only:
            problems.append(
                Problem(
                    ("mounts", index, "read_only"),
                    "an anonymous volume cannot be read-only (the engine refuses it); name a "
                    "volume as its source, or drop read_only",
                )
            )
    return problems


def _ip_problem(value: str) -> bool:
    """Whether `value` is not an IP address as the engine parses one (Go's net.ParseIP: no
    zone, which Python's own parser takes, and nothing around it)."""
    if "%" in value:
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return True
    return False


def _zone_ok(server: str) -> bool:
    """A link-local IPv6 name server with its zone (`fe80::1%eth0`), which resolv.conf takes."""
    address, sep, zone = server.partition("%")
    return bool(sep and zone.isalnum() and not _ip_problem(address))


def _host_address(value: str) -> str:
    """A host address in one spelling (`::1` for `0:0:0:0:0:0:0:1`); as written otherwise."""
    if _ip_problem(value):
        return value
    return str(ipaddress.ip_address(value))


def port_conflicts(containers: Iterable[tuple[Location, ContainerSpec]]) -> list[Problem]:
    """Host ports published twice (one port and protocol on one address, or on one address
    and every address): the engine refuses the second container at start. Each component
    checks all its containers at once (one container publishing a port twice included).

    `containers` are (path, spec); a problem is placed at the later port's path.
    """
    wildcard = {"0.0.0.0", "::"}
    taken: dict[tuple[int, str], list[tuple[Location, str]]] = {}
    problems = []
    for at, spec in containers:
        for index, port in enumerate(spec.ports):
            if port.external is None:
                continue
            field = (*at, "ports", index)
            key = (port.external, port.protocol)
            host = _host_address(port.host_ip)  # `::1` and `0:0:0:0:0:0:0:1` are one address
            clash = next(
                (
                    (where, address)
                    for where, address in taken.get(key, [])
                    if _host_address(address) == host or wildcard & {_host_address(address), host}
                ),
                None,
            )
            if clash is None:
                taken.setdefault(key, []).append((field, port.host_ip))
                continue
            problems.append(
                Problem(
                    field,
                    f"host port {port.external}/{port.protocol} on {port.host_ip} is already "
                    f"published on {clash[1]} by {render_path(clash[0])}; publish another host "
                    "port",
                )
            )
    return problems


_MODE = re.compile(r"^0?[0-7]{3}$")


def file_owner_problems(spec: SecretSpec | ConfigSpec) -> list[Problem]:
    """A copied file's mode, owner and group that cannot be written as given."""
    problems: list[Problem] = []
    if spec.mode is not None and not _MODE.match(spec.mode):
        problems.append(
            Problem("mode", f'"{spec.mode}" is not a file mode; write it in octal, e.g. "0440"')
        )
    for attr in ("uid", "gid"):
        value = getattr(spec, attr)
        if value is not None and not value.isdigit():
            problems.append(
                Problem(
                    attr,
                    f'"{value}" is not a number; give the numeric id (a name would be looked '
                    "up on the deploying host, not in the image)",
                )
            )
    return problems


def config_target(name: str, config: ConfigSpec) -> str:
    """Where a config's file is in the container: its target, else `/<name>`."""
    return config.target if config.target is not None else f"/{name}"


def _config_problems(config: ConfigSpec, read_only: bool) -> list[Problem]:
    problems: list[Problem] = []
    if config.target is not None and not config.target.startswith("/"):
        problems.append(Problem("target", f'"{config.target}" is not an absolute path'))
    if (config.content is None) == (config.source is None):
        problems.append(
            Problem(
                "",
                "needs exactly one of content (its text) or source (a host file to mount)",
            )
        )
    if config.source is not None:
        if not config.source.startswith("/"):
            problems.append(Problem("source", f'"{config.source}" is not an absolute path'))
        problems += [
            Problem(
                attr,
                "does not apply to a host file mounted read-only (its mode and owner are the "
                "host file's); remove it, or give the text as content",
            )
            for attr in ("mode", "uid", "gid")
            if getattr(config, attr) is not None
        ]
    elif read_only:
        problems.append(
            Problem(
                "content",
                "cannot be copied into a read-only root filesystem (the engine refuses the "
                'upload: "container rootfs is marked read-only"); mount it from a host file '
                "(source), or drop read_only",
            )
        )
    problems += file_owner_problems(config)
    return problems


def _mount_problems(mount: MountSpec) -> list[Problem]:
    problems: list[Problem] = []
    if not mount.target.startswith("/"):
        problems.append(Problem("target", f'"{mount.target}" is not an absolute path'))
    if mount.type == "bind":
        if (
            isinstance(mount.source, NamedVolume | docker.Volume)
            or mount.source is None
            or (isinstance(mount.source, str) and not mount.source.startswith("/"))
        ):
            problems.append(Problem("source", "a bind mount needs the absolute host path to mount"))
    elif mount.type == "tmpfs":
        if mount.source is not None:
            problems.append(Problem("source", "a tmpfs has no source; remove it"))
    elif isinstance(mount.source, str) and "/" in mount.source:
        problems.append(
            Problem(
                "source",
                f'"{mount.source}" is a path; use type "bind" for a host path, or name a volume',
            )
        )
    if mount.create_host_path and mount.type != "bind":
        problems.append(Problem("create_host_path", "applies only to a bind mount"))
    for attr in ("tmpfs_size", "tmpfs_mode"):
        if getattr(mount, attr) is not None and mount.type != "tmpfs":
            problems.append(Problem(attr, "applies only to a tmpfs mount"))
    return problems


def memory_mib(value: str | int) -> int | None:
    """`512m`, `1g`, `1073741824` -> MiB (rounded up), or None when `value` is not a size."""
    if isinstance(value, int):
        return -(-value // (1024 * 1024))
    match = re.fullmatch(r"(\d+)([bkmg]?)b?", value.strip().lower())
    if match is None:
        return None
    amount = int(match.group(1)) * _MEMORY_UNITS[match.group(2) or "b"]
    return int(-(-amount // 1))


def build_container(
    resource_name: str,
    container_name: str,
    spec: ContainerSpec,
    *,
    group: str,
    role: Role,
    placement: Placement,
    images: ImageSet,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    monitor: bool = False,
    wait_healthy: bool = False,
    run_to_completion: bool = False,
) -> docker.Container:
    """Register one container with its stack, group and role labels.

    The image is pulled, built or taken as present by `images`; the container depends on that.
    Monitors get exactly `MONITOR_CAPABILITIES` added on top of what the spec asks.
    `wait_healthy` makes the provider wait until the container is healthy (what a dependent
    with `service_healthy` needs), for as long as its health check may take to decide
    (`health_wait_timeout`, where the provider's default would give up after 60 s);
    `run_to_completion` waits until it has exited.
    """
    labels = {
        **spec.labels,
        LABEL_STACK: pulumi.get_stack(),
        LABEL_GROUP: group,
        LABEL_ROLE: role,
    }
    if spec.expose:
        labels[LABEL_EXPOSE] = ",".join(spec.expose)
    adds = list(spec.capabilities_add)
    if monitor:
        labels[LABEL_PRESET] = PRESET_MONITOR
        adds += [cap for cap in MONITOR_CAPABILITIES if cap not in adds]
    capabilities = (
        docker.ContainerCapabilitiesArgs(
            adds=adds or None, drops=list(spec.capabilities_drop) or None
        )
        if adds or spec.capabilities_drop
        else None
    )
    image, image_needs = images.image_for(spec.image, spec.build, spec.pull, spec.platform)
    env: list[pulumi.Input[str]] = [_env_entry(key, value) for key, value in spec.env.items()]
    uploads = []
    for secret in spec.secrets.values():
        value = pulumi.Output.secret(secret.value or "")
        if secret.env is not None:
            env.append(_env_entry(secret.env, value.apply(_without_final_line_break)))
        if secret.file is not None:
            uploads.append(_upload(secret.file, value, secret))
    config_mounts = []
    for name, config in spec.configs.items():
        if config.source is not None:
            config_mounts.append(
                MountSpec(
                    target=config_target(name, config),
                    type="bind",
                    source=config.source,
                    read_only=True,
                )
            )
        elif config.content is not None:
            uploads.append(_upload(config_target(name, config), config.content, config))
    volume_needs = wire.volume_needs(spec.mounts)
    return docker.Container(
        resource_name,
        name=container_name,
        image=image,
        command=list(spec.command) or None,
        entrypoints=list(spec.entrypoint) or None,
        envs=env or None,
        ports=wire.ports(spec.ports, "container"),
        healthcheck=wire.healthcheck(spec.healthcheck, "container"),
        restart=spec.restart,
        must_run=not run_to_completion,
        attach=True if run_to_completion else None,
        wait=True if wait_healthy else None,
        wait_timeout=wire.health_wait_timeout(spec.healthcheck)
        if wait_healthy and spec.healthcheck is not None
        else None,
        labels=wire.labels(labels, docker.ContainerLabelArgs),
        capabilities=capabilities,
        privileged=spec.privileged or None,
        hostname=spec.hostname,
        dns=list(spec.dns) or None,
        hosts=[docker.ContainerHostArgs(host=h, ip=ip) for h, ip in spec.extra_hosts.items()]
        or None,
        network_mode=placement.network_mode,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(
                name=wire.network,
                aliases=list(wire.aliases) or None,
                ipv4_address=wire.ipv4_address,
                ipv6_address=wire.ipv6_address,
                gw_priority=wire.gw_priority,
                driver_opts=[f"{k}={v}" for k, v in wire.driver_opts.items()] or None,
            )
            for wire in placement.attachments
        ]
        or None,
        mounts=[
            wire.mount(m, "container")
            for m in (*spec.mounts, *config_mounts)
            if not m.create_host_path
        ]
        or None,
        volumes=[
            docker.ContainerVolumeArgs(
                host_path=m.source, container_path=m.target, read_only=m.read_only or None
            )
            for m in spec.mounts
            if m.create_host_path and isinstance(m.source, str)
        ]
        or None,
        uploads=uploads or None,
        user=spec.user,
        working_dir=spec.working_dir,
        init=spec.init or None,
        devices=[
            docker.ContainerDeviceArgs(
                host_path=d.host_path,
                container_path=d.container_path or d.host_path,
                permissions=d.permissions,
            )
            for d in spec.devices
        ]
        or None,
        device_requests=[
            docker.ContainerDeviceRequestArgs(
                driver=r.driver,
                count=r.count,
                device_ids=list(r.device_ids) or None,
                capabilities=list(r.capabilities) or None,
                options=dict(r.options) or None,
            )
            for r in spec.device_requests
        ]
        or None,
        sysctls=dict(spec.sysctls) or None,
        ulimits=[
            docker.ContainerUlimitArgs(name=name, soft=limit.soft, hard=limit.hard)
            for name, limit in spec.ulimits.items()
        ]
        or None,
        log_driver=spec.logging.driver if spec.logging else None,
        log_opts=dict(spec.logging.options) or None if spec.logging else None,
        stop_signal=spec.stop_signal,
        stop_timeout=spec.stop_grace_period,
        security_opts=list(spec.security_opt) or None,
        read_only=spec.read_only or None,
        shm_size=spec.shm_size,
        memory=spec.memory,
        memory_reservation=spec.memory_reservation,
        cpus=spec.cpus,
        tmpfs=dict(spec.tmpfs) or None,
        tty=spec.tty or None,
        stdin_open=spec.stdin_open or None,
        platform=spec.platform,
        pid_mode=spec.pid_mode,
        ipc_mode=spec.ipc_mode,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[*image_needs, *volume_needs, *depends_on]
        ),
    )


def _upload(
    file: str, content: StrInput, owner: SecretSpec | ConfigSpec
) -> docker.ContainerUploadArgs:
    """A file copied into the container as compose copies one: `FILE_MODE` unless a mode is
    given, owned by root unless a uid or gid is."""
    return docker.ContainerUploadArgs(
        file=file,
        content=content,
        permissions=owner.mode.rjust(4, "0") if owner.mode is not None else FILE_MODE,
        owner=owner.uid,
        group=owner.gid,
    )


def _without_final_line_break(text: str) -> str:
    return text.removesuffix("\n").removesuffix("\r")


def _env_entry(key: str, value: StrInput) -> pulumi.Input[str]:
    if isinstance(value, str):
        return f"{key}={value}"
    return pulumi.Output.concat(key, "=", value)
