"""The wire vocabulary: the facts the components, the policy pack and the preview share.

Type tokens, the engine's predefined networks, its name and DNS-label rules, the labels the
components write and the pack reads, capability sets, the sentinels that stand for values
unknown at preview, and the enforcement level names. Each is written here once.

This module uses the standard library only, so every side can import it:
- the pack (`policies/rules/vocabulary.py`, imported as `.vocabulary`), which the Pulumi CLI
  runs from inside its own folder (`rules` is then a top-level package) and which may be
  published alone;
- the components, through `components/vocabulary.py`, a symbolic link to this file; the
  `container_comms` wheel carries this file as `container_comms.vocabulary`;
- the plan and the preview, through `components.vocabulary` (never through `policies`, whose
  rules need pulumi-policy and run in the pack's own process).

`tests/test_vocabulary.py` fails when one of these facts is written a second time elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal, get_args

# --- Type tokens -----------------------------------------------------------------------------

STACK_TYPE: Final = "pulumi:pulumi:Stack"
"""Type token of a stack's root resource."""
CONTAINER_TYPE: Final = "docker:index/container:Container"
"""Type token of a pulumi-docker container."""
NETWORK_TYPE: Final = "docker:index/network:Network"
"""Type token of a pulumi-docker network."""
REMOTE_IMAGE_TYPE: Final = "docker:index/remoteImage:RemoteImage"
"""Type token of a pulumi-docker pulled image."""
VOLUME_TYPE: Final = "docker:index/volume:Volume"
"""Type token of a pulumi-docker volume."""
DOCKER_SERVICE_TYPE: Final = "docker:index/service:Service"
"""Type token of a pulumi-docker swarm service."""
DOCKER_SECRET_TYPE: Final = "docker:index/secret:Secret"
"""Type token of a pulumi-docker swarm secret."""

APPLICATION_TYPE: Final = "container-comms:index:Application"
"""Type token of the `Application` component."""
DNS_GROUP_TYPE: Final = "container-comms:index:DnsGroup"
"""Type token of the `DnsGroup` component (its props: `network`, `members`)."""
IMAGE_SET_TYPE: Final = "container-comms:index:ImageSet"
"""Type token of the `ImageSet` component."""
JOINED_GROUP_TYPE: Final = "container-comms:index:JoinedGroup"
"""Type token of the `JoinedGroup` component (its props: `owner`, `sidecars`)."""
NAMED_VOLUME_TYPE: Final = "container-comms:index:NamedVolume"
"""Type token of the `NamedVolume` component."""
OVERLAY_NETWORK_TYPE: Final = "container-comms:index:OverlayNetwork"
"""Type token of the `OverlayNetwork` component."""
SERVICE_TYPE: Final = "container-comms:index:Service"
"""Type token of the `Service` component."""
STATIC_IP_CONTAINER_TYPE: Final = "container-comms:index:StaticIpContainer"
"""Type token of the `StaticIpContainer` component."""
SWARM_APPLICATION_TYPE: Final = "container-comms:index:SwarmApplication"
"""Type token of the `SwarmApplication` component."""
USER_DEFINED_NETWORK_TYPE: Final = "container-comms:index:UserDefinedNetwork"
"""Type token of the `UserDefinedNetwork` component."""

# --- Networks --------------------------------------------------------------------------------

PREDEFINED_NETWORKS: Final = frozenset({"bridge", "default", "host", "none"})
"""Networks the engine defines itself (`default` is the default bridge's other name): its
embedded DNS server does not answer on them, and they take no aliases or static addresses."""

NetworkMode = Literal["bridge", "host", "none"]
"""The network modes a container may take instead of networks: the default bridge, the host's
network stack, or no network (`container:<name>` joins another container's)."""
NETWORK_MODES: Final[frozenset[str]] = frozenset(get_args(NetworkMode))
"""The values of `NetworkMode`."""

MTU_OPTION: Final = "com.docker.network.driver.mtu"
"""The network driver option that sets the MTU (digits, as Go's strconv.Atoi reads them)."""
BRIDGE_NAME_OPTION: Final = "com.docker.network.bridge.name"
"""The bridge driver option that names the Linux bridge (one network per bridge)."""

IPC_MODES: Final = frozenset({"none", "private", "shareable", "host"})
"""The IPC modes the engine takes besides `container:<name>` (and empty, its default, which is
`private` on engines from 20.10: a container with it cannot be joined)."""

# --- Network drivers: one row per driver, read by every side -------------------------------

NetworkDriverName = Literal["bridge", "overlay"]
"""The drivers a stack's network may name (the keys of `NETWORK_DRIVERS`; a test keeps them
equal)."""


@dataclass(frozen=True)
class NetworkDriver:
    """What every side needs to know of one network driver: the config schema (the driver's
    name and the keys only it takes), the loader's and the pack's checks (its scope), the
    builder (its component) and the docs table (its line). Every driver here is user-defined:
    its networks take subnets and static addresses, and the engine's DNS server answers on
    them."""

    name: str
    """The driver's name, as `docker network create --driver` and the wire take it."""
    scope: Literal["local", "swarm"]
    """`local`: a network of one engine; `swarm`: a network spanning a swarm's nodes, created on
    a manager, the only kind swarm services join (standalone containers only when it is
    created attachable)."""
    default_for: Literal["engine", "swarm"] | None
    """The stack target (`topology.target`) whose networks take this driver when they name
    none."""
    component: str
    """The type token of the component that builds a network of this driver."""
    options: tuple[str, ...] = ()
    """The network config keys only this driver takes (any other driver refuses them)."""
    single_ipv4_subnet: str | None = None
    """The engine's refusal of a second IPv4 subnet on one network, when the driver takes only
    one."""
    names_bridge: bool = False
    """Whether `BRIDGE_NAME_OPTION` names the Linux bridge of the network (one per network)."""
    doc: str = ""
    """One line for the docs table."""

    @property
    def swarm_scoped(self) -> bool:
        """Whether its networks span a swarm (and need one)."""
        return self.scope == "swarm"

    @property
    def address_space(self) -> str:
        """The IPAM address space its pools are requested from, as the engine names it."""
        return "GlobalDefault" if self.swarm_scoped else "LocalDefault"


NETWORK_DRIVERS: Final[Mapping[str, NetworkDriver]] = {
    "bridge": NetworkDriver(
        name="bridge",
        scope="local",
        default_for="engine",
        component=USER_DEFINED_NETWORK_TYPE,
        single_ipv4_subnet="bridge driver doesn't support multiple subnets",
        names_bridge=True,
        doc="A network of one engine: a Linux bridge on the engine's host.",
    ),
    "overlay": NetworkDriver(
        name="overlay",
        scope="swarm",
        default_for="swarm",
        component=OVERLAY_NETWORK_TYPE,
        options=("attachable", "encrypted"),
        doc="A network spanning a swarm's nodes (VXLAN), created on a manager.",
    ),
}
"""Every network driver a stack's network may name, by name."""

DEFAULT_NETWORK_DRIVER: Final = "bridge"
"""The driver the engine (and the provider) gives a network that names none."""


def driver_row(name: str | None) -> NetworkDriver | None:
    """The row of driver `name` (None: the engine's default), or None for a driver the table
    does not know (a plugin's)."""
    return NETWORK_DRIVERS.get(name or DEFAULT_NETWORK_DRIVER)


def target_drivers(target: str) -> list[str]:
    """The drivers the networks of a stack of `target` (`engine` or `swarm`) may take, its
    default first: one engine's networks only local ones, a swarm's any."""
    rows = [d for d in NETWORK_DRIVERS.values() if target == "swarm" or not d.swarm_scoped]
    return [d.name for d in sorted(rows, key=lambda d: d.default_for != target)]


def network_drivers_table() -> str:
    """The docs table of `NETWORK_DRIVERS` (docs/network-drivers.md holds it as written here)."""
    rows = [
        "| driver | scope | default on target | component | its own keys | one IPv4 subnet |",
        "|---|---|---|---|---|---|",
    ]
    for d in NETWORK_DRIVERS.values():
        own = ", ".join(f"`{o}`" for o in d.options) or "none"
        single = "yes" if d.single_ipv4_subnet else "no"
        component = d.component.rsplit(":", 1)[-1]
        target = f"`{d.default_for}`" if d.default_for else "none"
        rows.append(f"| `{d.name}` | {d.scope} | {target} | `{component}` | {own} | {single} |")
    rows.append("")
    rows += [f"- `{d.name}`: {d.doc}" for d in NETWORK_DRIVERS.values()]
    return "\n".join(rows)


# --- Names (matched whole, as Go's regexp matches `^...$`) ----------------------------------
# Python's `$` also matches before a trailing newline, so `re.match` with `^...$` would take
# "bbox1\n" for a valid name; every pattern here is used with `fullmatch`.

NAME_CHARS: Final = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
"""The engine's name characters (its `RestrictedNameChars`), as its refusals quote them: a
letter or digit first, then letters, digits, `_`, `.` and `-`."""

_NAME = re.compile(f"{NAME_CHARS}+")
_CONTAINER_NAME = re.compile(f"/?{NAME_CHARS}+")

DNS_LABEL_LIMIT: Final = 63
"""The most characters of one DNS label."""
DNS_NAME_LIMIT: Final = 253
"""The most characters of a DNS name."""

_DNS_LABEL = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")


def is_name(name: str) -> bool:
    """Whether `name` is two or more of `NAME_CHARS` (the engine's `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`:
    volume names, and container names without the optional leading `/`)."""
    return _NAME.fullmatch(name) is not None


def is_container_name(name: str) -> bool:
    """Whether the engine accepts `name` as a container name (`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`;
    it stores the name with one leading `/`)."""
    return _CONTAINER_NAME.fullmatch(name) is not None


def is_dns_label(label: str) -> bool:
    """Whether `label` is one RFC 1123 label: 1 to 63 letters, digits and hyphens, neither
    starting nor ending with a hyphen."""
    return _DNS_LABEL.fullmatch(label) is not None


def is_dns_name(name: str) -> bool:
    """Whether `name` is a DNS name the embedded DNS server can answer: dot-separated RFC 1123
    labels, at most 253 characters, without a trailing dot."""
    return 0 < len(name) <= DNS_NAME_LIMIT and all(is_dns_label(p) for p in name.split("."))


_SERVICE_NAME = re.compile(r"[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*")

SERVICE_NAME_LIMIT: Final = 63
"""The most characters of a swarm service name."""


def is_service_name(name: str) -> bool:
    """Whether the swarm accepts `name` for a service (swarmkit's `isValidDNSName`, matched
    whole: letters and digits, with `-` or `_` between them, no dots, at most 63 characters)."""
    return len(name) <= SERVICE_NAME_LIMIT and _SERVICE_NAME.fullmatch(name) is not None


REPLICAS_MAX: Final = 2**63 - 1
"""The most replicas the swarm takes for a service (more: "Number of replicas must be
non-negative"; beyond 2**64 - 1 the engine cannot read the number at all)."""
TASK_MEMORY_MINIMUM_MIB: Final = 6
"""The least memory limit, in MiB, the engine starts a swarm task with (below it every task is
rejected: "Minimum memory limit allowed is 6MB")."""
TASK_MEMORY_FLOOR_MIB: Final = 4
"""Below this memory limit, in MiB, the swarm refuses the service itself ("invalid memory value
<bytes>: Must be at least 4MiB")."""


# --- Labels the components write on every container and the pack reads ----------------------

LABEL_PREFIX: Final = "container-comms"
"""The prefix of the labels below."""
LABEL_STACK: Final = f"{LABEL_PREFIX}.stack"
"""Label naming the stack a container belongs to."""
LABEL_GROUP: Final = f"{LABEL_PREFIX}.group"
"""Label naming the group (or service) a container belongs to."""
LABEL_ROLE: Final = f"{LABEL_PREFIX}.role"
"""Label naming a container's role in its group (`dns-member`, `joined-sidecar`, ...)."""
LABEL_PRESET: Final = f"{LABEL_PREFIX}.preset"
"""Label naming the preset a container was built from (`PRESET_MONITOR` for traffic monitors)."""
LABEL_EXPOSE: Final = f"{LABEL_PREFIX}.expose"
"""Label listing the ports a container exposes to its peers."""
PRESET_MONITOR: Final = "monitor"
"""The `LABEL_PRESET` value of a traffic monitor."""

# --- Capabilities (names without the `CAP_` prefix) ----------------------------------------

MONITOR_CAPABILITIES: Final = ("NET_ADMIN", "NET_RAW")
"""What capturing another container's traffic needs: all that the monitor preset adds, and all
that the pack lets a container labelled as a monitor add by default."""

ENGINE_DEFAULT_CAPABILITIES: Final = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
"""The capabilities Docker gives every container (CapEff a80425fb on engine 20.10): adding one
of them changes nothing."""

ENGINE_CAPABILITIES: Final = frozenset(
    {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE",
        "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE",
        "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG",
        "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT",
        "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
    }
)  # fmt: skip
"""The capability names engine 20.10 accepts (besides `ALL`)."""

LATER_ENGINE_CAPABILITIES: Final = frozenset({"PERFMON", "BPF", "CHECKPOINT_RESTORE"})
"""Linux capabilities later engines accept and engine 20.10 refuses."""

KNOWN_CAPABILITIES: Final = ENGINE_CAPABILITIES | LATER_ENGINE_CAPABILITIES
"""Every capability name some engine accepts (besides `ALL`)."""

# --- Values the engine parses (engine 20.10, runc 1.1) ---------------------------------------
# Each is matched whole: a value with a trailing newline is as wrong as any other.

MIN_MEMORY_BYTES: Final = 6 * 1024 * 1024
"""The least memory limit the engine takes (`Minimum memory limit allowed is 6MB`)."""
MIN_NANO_CPUS: Final = 10_000_000
"""The least CPU share (0.01 CPUs): below it the CFS quota the engine writes (period 100 ms)
is under the kernel's 1 ms floor, or rounds to no limit at all."""
MIN_HEALTHCHECK_NS: Final = 1_000_000
"""The least healthcheck interval, timeout and start period (1 ms), in nanoseconds."""
HOSTNAME_LIMIT: Final = 64
"""The most characters `sethostname` takes (Linux's HOST_NAME_MAX)."""

SIGNAL_NAMES: Final = frozenset(
    {
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
        "RTMIN", "RTMAX",
        *(f"RTMIN+{n}" for n in range(1, 16)),
        *(f"RTMAX-{n}" for n in range(1, 15)),
    }
)  # fmt: skip
"""The signal names the engine knows, without `SIG` (it takes any letter case, with or
without the prefix, or a signal number other than 0)."""

ULIMIT_NAMES: Final = frozenset(
    {
        "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
        "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
    }
)  # fmt: skip
"""The resource limits the engine can set (`RLIMIT_<NAME>`; any letter case)."""

LOG_DRIVERS: Final = frozenset(
    {
        "awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries",
        "splunk", "syslog", "none",
    }
)  # fmt: skip
"""The log drivers engine 20.10 has built in (its `docker info` list, and `none`); any other
name is a plugin the engine does not have."""
LOG_MODES: Final = ("blocking", "non-blocking")
"""The values of the `mode` log option, which every driver takes."""
LOG_COMMON_OPTIONS: Final = frozenset({"mode", "max-buffer-size"})
"""The log options every driver takes."""
FILE_LOG_OPTIONS: Final = {
    "json-file": frozenset(
        {"max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"}
    ),
    "local": frozenset({"max-file", "max-size", "compress"}),
}
"""The options of the two file drivers, besides `LOG_COMMON_OPTIONS` (any other is refused)."""

IPC_SYSCTLS: Final = frozenset(
    {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
        "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    }
)  # fmt: skip
"""Kernel parameters of the IPC namespace (`fs.mqueue.*` too)."""
IPC_SYSCTL_PREFIX: Final = "fs.mqueue."
"""The prefix of the IPC namespace's message queue parameters."""
NET_SYSCTL_PREFIX: Final = "net."
"""The prefix of the network namespace's parameters."""
UTS_SYSCTLS: Final = frozenset({"kernel.domainname"})
"""Kernel parameters of the UTS namespace a container may set (`kernel.hostname` is the
container's hostname field)."""


def sysctl_problem(name: str, *, host_ipc: bool = False, host_network: bool = False) -> str | None:
    """Why runc refuses to set kernel parameter `name` at start (its exact words), or None when
    the parameter lies in a namespace of the container's own."""
    if name in IPC_SYSCTLS or name.startswith(IPC_SYSCTL_PREFIX):
        return f'sysctl "{name}" is not allowed in the hosts ipc namespace' if host_ipc else None
    if name.startswith(NET_SYSCTL_PREFIX):
        return f'sysctl "{name}" not allowed in host network namespace' if host_network else None
    if name in UTS_SYSCTLS:
        return None
    if name == "kernel.hostname":
        return (
            'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'
        )
    return f'sysctl "{name}" is not in a separate kernel namespace'


def is_signal(value: str) -> bool:
    """Whether the engine takes `value` as a stop signal: a name of `SIGNAL_NAMES` (any case,
    `SIG` optional) or a decimal number other than 0."""
    if value.isascii() and value.isdigit():
        return int(value) != 0
    upper = value.upper()
    return upper.removeprefix("SIG") in SIGNAL_NAMES


_DURATION_UNITS: Final = {
    "ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": 10**9,
    "m": 60 * 10**9, "h": 3600 * 10**9,
}  # fmt: skip


_GO_DURATION_MAX: Final = 2**63 - 1


def go_duration_ns(text: str) -> int | None:
    """`text` as Go's `time.ParseDuration` reads it, in whole nanoseconds (`1m30s`, `500ms`,
    `-1.5h`, `0`); None when Go refuses it. Read left to right in one pass, without a regex."""
    end = len(text)
    at = 0
    sign = 1
    if text[:1] in ("-", "+"):
        sign = -1 if text[0] == "-" else 1
        at = 1
    if text[at:] == "0":
        return 0
    if at == end:
        return None
    total = 0.0
    while at < end:
        start = at
        while at < end and "0" <= text[at] <= "9":
            at += 1
        whole = text[start:at]
        fraction = ""
        if at < end and text[at] == ".":
            at += 1
            start = at
            while at < end and "0" <= text[at] <= "9":
                at += 1
            fraction = text[start:at]
        if not whole and not fraction:
            return None
        start = at
        while at < end and not ("0" <= text[at] <= "9") and text[at] != ".":
            at += 1
        unit = _DURATION_UNITS.get(text[start:at])
        if unit is None:
            return None
        total += float(f"{whole or 0}.{fraction or 0}") * unit
        if total > _GO_DURATION_MAX:
            return None  # Go: "invalid duration" (beyond an int64 of nanoseconds)
    return sign * round(total)


_SIZE_UNITS: Final = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def ram_bytes(text: str) -> float | None:
    """`text` as the engine's size parser (go-units `RAMInBytes`) reads it: digits (with a
    fraction), an optional space, an optional k/m/g/t/p (any case) with optional `i` and `b`
    (`10m`, `1.5MiB`, `10 mb`, `512`); None when it refuses it. Without a regex."""
    i = 0
    while i < len(text) and text[i].isascii() and (text[i].isdigit() or text[i] == "."):
        i += 1
    number, rest = text[:i], text[i:].lower()
    if not number or not number[0].isdigit() or number.endswith(".") or ".." in number:
        return None
    rest = rest.removeprefix(" ")
    unit = rest[:1] if rest[:1] in _SIZE_UNITS else ""
    rest = rest[len(unit) :]
    rest = rest.removeprefix("i").removeprefix("b")
    if rest:
        return None
    try:
        amount = float(number) if number.count(".") <= 1 else None
    except ValueError:
        return None
    if amount is None or amount == float("inf"):
        return None  # Go's ParseFloat: out of range
    return amount * _SIZE_UNITS[unit]


_CPU_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_CPU_RATIO = re.compile(r"[+-]?\d+/\d+")


def parse_cpus(value: str) -> Fraction | None:
    """`value` as the provider's `ParseCPUs` reads it (a Go `big.Rat`: a decimal, possibly with
    an exponent, or a fraction `a/b`), matched whole; None when it is not one."""
    if len(value) > 64 or not (_CPU_DECIMAL.fullmatch(value) or _CPU_RATIO.fullmatch(value)):
        return None
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None


# --- Values unknown at preview (pulumi's and pulumi-policy's sentinels) ----------------------

UNKNOWN_BOOLEAN_VALUE: Final = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
"""Stands for a boolean unknown at preview."""
UNKNOWN_NUMBER_VALUE: Final = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
"""Stands for a number unknown at preview."""
UNKNOWN_STRING_VALUE: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Stands for a string unknown at preview; the engine sends it for any unknown value."""
UNKNOWN_ARRAY_VALUE: Final = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
"""Stands for an array unknown at preview."""
UNKNOWN_ASSET_VALUE: Final = "030794c1-ac77-496b-92df-f27374a8bd58"
"""Stands for an asset unknown at preview."""
UNKNOWN_ARCHIVE_VALUE: Final = "e48ece36-62e2-4504-bad9-02848725956a"
"""Stands for an archive unknown at preview."""
UNKNOWN_OBJECT_VALUE: Final = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
"""Stands for an object unknown at preview."""

UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
"""Every string that stands for a value unknown at preview."""

# --- Credentials ------------------------------------------------------------------------------

CREDENTIAL_NAME: Final = re.compile(
    r"(?:^|[_.-])(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API[_.-]?KEY|SECRET[_.-]?KEY|"
    r"PRIVATE[_.-]?KEY|ACCESS[_.-]?KEY|AUTH[_.-]?KEY)$",
    re.IGNORECASE,
)
"""An environment variable name that says it holds a credential."""


# --- Enforcement levels ----------------------------------------------------------------------

LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")
"""The enforcement levels, as `--policy-pack-config` spells them (the analyzer protocol's
`EnforcementLevel` names, lower-cased)."""
