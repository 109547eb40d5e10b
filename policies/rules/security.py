"""Security rules: what a container may take from the Docker host.

The capability rules judge a swarm service's task too (`taskSpec.containerSpec.capAdds`,
`capDrops`). The others judge containers only: a service's wire has no `privileged`,
`networkMode`, `pidMode`, `ipcMode`, `usernsMode` or `securityOpts`, and it publishes ports
through `endpointSpec` (the swarm rules' concern).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
)

from ._props import (
    Unknown,
    flag,
    items,
    number,
    port_number,
    strings,
    text,
)
from ._subject import Subject, for_subjects
from .vocabulary import (
    ENGINE_CAPABILITIES,
    ENGINE_DEFAULT_CAPABILITIES,
    LATER_ENGINE_CAPABILITIES,
    MONITOR_CAPABILITIES,
)

DEFAULT_MONITOR_CAPABILITIES = list(MONITOR_CAPABILITIES)
"""What the monitor preset adds to capture another container's traffic, and what a container
joined to another's network namespace may add."""
DEFAULT_BIND_ADDRESSES = ["127.0.0.1", "::1"]
"""Host addresses ports may be published on by default: loopback only."""

ALL_INTERFACES = (
    " (all host interfaces: what Docker and compose do with a port that names no address)"
)
"""How messages explain a port published on every interface."""

_STRINGS = {"type": "array", "items": {"type": "string"}}


@for_subjects(services=False)
def _host_network(subject: Subject) -> Iterator[str]:
    mode = subject.view.network_mode
    if isinstance(mode, Unknown):
        subject.undecided(f"the network mode of {subject.subject} is")
    elif mode == "host":
        yield (
            'network mode "host" shares the Docker host\'s network stack with the container; '
            "attach it to a user-defined network and publish only the ports it needs"
        )


docker_container_disallow_host_network = ResourceValidationPolicy(
    name="docker-container-disallow-host-network",
    description="A container does not use the host's network stack (network mode host).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_host_network,
)


@for_subjects(services=False)
def _privileged(subject: Subject) -> Iterator[str]:
    privileged = subject.read(flag, "privileged")
    if isinstance(privileged, Unknown):
        subject.undecided(f"privileged of {subject.subject} is")
    elif privileged:
        yield (
            "privileged true gives the container every capability and all host devices; set "
            "privileged false and add only the capabilities it needs"
        )


docker_container_disallow_privileged = ResourceValidationPolicy(
    name="docker-container-disallow-privileged",
    description="A container does not run privileged.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_privileged,
)


def _capability(value: str) -> str:
    """A capability as the allowlist compares it: upper case, without `CAP_`."""
    upper = value.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def _engine_capability(value: str) -> str:
    """A capability name as the engine spells it in its refusal (`net_admin` -> CAP_NET_ADMIN);
    `ALL` stays `ALL`."""
    upper = value.upper()
    if upper == "ALL" or upper.startswith("CAP_"):
        return upper
    return "CAP_" + upper


def _known(value: str, extra: Iterable[str]) -> bool:
    """Whether the engine (20.10, or one that also knows `extra`) accepts the name."""
    name = _engine_capability(value)
    return name == "ALL" or name[4:] in ENGINE_CAPABILITIES or name[4:] in extra


def _extra_known(subject: Subject) -> set[str]:
    return {_capability(c) for c in subject.setting("extraKnownCapabilities", [])}


@for_subjects(services=True)
def _capabilities(subject: Subject) -> Iterator[str]:
    key = subject.where("capabilities.adds")
    adds, unknown = strings(subject.read(items, "capabilities.adds"))
    allowed = [_capability(c) for c in subject.setting("allowedCapabilities", [])]
    if unknown:
        subject.undecided(f"the added capabilities of {subject.subject} are")
    # A name no engine knows is the unknown-capability rule's; any other outside the default
    # set is an escalation, whatever the engine's version.
    escalating = [
        a
        for a in adds
        if _known(a, LATER_ENGINE_CAPABILITIES)
        and _capability(a) not in ENGINE_DEFAULT_CAPABILITIES
    ]
    if escalating and not subject.is_service:
        # A label is the stack author's to write, so it grants nothing. What the monitor preset
        # adds acts on a network namespace; in a container that joins another's, that is the
        # other container's namespace, never the host's (whose network mode is its own rule).
        # A service has no `container:<x>` network mode.
        join_target = subject.view.join_target
        if isinstance(join_target, Unknown):
            subject.undecided(f"the network mode of {subject.subject} is")
        elif join_target:
            monitor = subject.setting("monitorCapabilities", DEFAULT_MONITOR_CAPABILITIES)
            allowed.extend(_capability(c) for c in monitor)
    for add in escalating:
        if _capability(add) not in allowed:
            shown = ", ".join(sorted(set(allowed))) or "none"
            yield (
                f'{key} has "{add}", which Docker does not give by default and which is not '
                f"allowed here (allowed beyond the default set: {shown}); drop it, or list it in "
                "this policy's allowedCapabilities config"
            )


docker_container_enforce_allowed_capabilities = ResourceValidationPolicy(
    name="docker-container-enforce-allowed-capabilities",
    description=(
        "A container or service adds no capability beyond Docker's default set but allowed ones; "
        "a container "
        "that joins another's network namespace (a sidecar, such as a traffic monitor) may also "
        "add NET_RAW and NET_ADMIN, which then act on that namespace only (labels grant nothing)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedCapabilities": {
                **_STRINGS,
                "default": [],
                "description": "Capabilities beyond Docker's default set any container may add.",
            },
            "monitorCapabilities": {
                **_STRINGS,
                "default": DEFAULT_MONITOR_CAPABILITIES,
                "description": (
                    "Capabilities a container joined to another's network namespace may add."
                ),
            },
        }
    ),
    validate=_capabilities,
)


@for_subjects(services=True)
def _unknown_capability(subject: Subject) -> Iterator[str]:
    extra = _extra_known(subject)
    for key, engine_key in (("capabilities.adds", "CapAdd"), ("capabilities.drops", "CapDrop")):
        where = subject.where(key)
        values, unknown = strings(subject.read(items, key))
        if unknown:
            subject.undecided(f"{where} of {subject.subject} are")
        for value in values:
            if _known(value, extra):
                continue
            yield (
                f'{where} has "{value}", which is not a capability the engine knows; it refuses '
                f'the container with "invalid {engine_key}: unknown capability: '
                f'"{_engine_capability(value)}""; write a Linux capability name such as '
                "NET_ADMIN (engine 20.10 does not know PERFMON, BPF and CHECKPOINT_RESTORE; list "
                "them in this policy's extraKnownCapabilities config for a newer engine)"
            )


docker_container_disallow_unknown_capability = ResourceValidationPolicy(
    name="docker-container-disallow-unknown-capability",
    description="A container adds and drops only capabilities the engine knows.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "extraKnownCapabilities": {
                **_STRINGS,
                "default": [],
                "description": "Capability names the engine knows beyond engine 20.10's.",
            }
        }
    ),
    validate=_unknown_capability,
)

NAMESPACE_REASONS = {
    "pidMode": (
        "the host's process namespace: the container sees every host process and, with the "
        "KILL capability Docker gives by default, can kill any of them; remove pidMode, or share "
        "another container's with container:<name>"
    ),
    "ipcMode": (
        "the host's IPC namespace and /dev/shm: the container reads and writes the shared memory "
        'of every host process; remove ipcMode, or give one container "shareable" and the others '
        "container:<name>"
    ),
}
"""What sharing each host namespace exposes, and the fix."""


@for_subjects(services=False)
def _host_namespaces(subject: Subject) -> Iterator[str]:
    for key, reason in NAMESPACE_REASONS.items():
        mode = subject.read(text, key)
        if isinstance(mode, Unknown):
            subject.undecided(f"{key} of {subject.subject} is")
        elif mode == "host":
            yield f'{key} "host" shares {reason}'


docker_container_disallow_host_namespaces = ResourceValidationPolicy(
    name="docker-container-disallow-host-namespaces",
    description="A container shares neither the host's process nor its IPC namespace.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_host_namespaces,
)


@for_subjects(services=False)
def _host_user_namespace(subject: Subject) -> Iterator[str]:
    mode = subject.read(text, "usernsMode")
    if isinstance(mode, Unknown):
        subject.undecided(f"usernsMode of {subject.subject} is")
    elif mode == "host":
        yield (
            'usernsMode "host" takes the container out of the engine\'s user namespace '
            "remapping (userns-remap): where the engine remaps, root in this container is root "
            "on the host (without remapping every container already runs so); remove usernsMode"
        )


docker_container_disallow_host_user_namespace = ResourceValidationPolicy(
    name="docker-container-disallow-host-user-namespace",
    description="A container does not opt out of the engine's user namespace remapping.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_host_user_namespace,
)


@for_subjects(services=False)
def _bind_address(subject: Subject) -> Iterator[str]:
    allowed = subject.setting("allowedBindAddresses", DEFAULT_BIND_ADDRESSES)
    ports = subject.read(items, "ports")
    if isinstance(ports, Unknown):
        ports = []
        subject.undecided(f"the ports of {subject.subject} are")
    for port in ports:
        address = text(port, "ip")
        if isinstance(address, Unknown):
            subject.undecided(f"the bind address of a port of {subject.subject} is")
            continue
        address = address or "0.0.0.0"
        if address in allowed:
            continue
        every = ALL_INTERFACES if address in ("0.0.0.0", "::") else ""
        yield (
            f"port {port_number(number(port, 'internal'))} is published on {address}{every}; "
            f"bind it to an allowed address ({', '.join(allowed) or 'none'}) with the port's ip, "
            "or list the address in this policy's allowedBindAddresses config"
        )
    if subject.read(flag, "publishAllPorts") is True and "0.0.0.0" not in allowed:
        yield (
            "publishAllPorts true publishes every exposed port on 0.0.0.0 (all host interfaces); "
            "publish the ports it needs one by one on an allowed address"
        )


docker_container_enforce_port_bind_address = ResourceValidationPolicy(
    name="docker-container-enforce-port-bind-address",
    description="A container publishes ports only on allowed host addresses.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedBindAddresses": {
                **_STRINGS,
                "default": DEFAULT_BIND_ADDRESSES,
                "description": "Host addresses ports may be published on.",
            }
        }
    ),
    validate=_bind_address,
)

SECURITY_OPT_KEYS = frozenset({"label", "apparmor", "seccomp", "no-new-privileges"})
"""The keys of a `key=value` (or legacy `key:value`) security option the engine accepts."""
GO_BOOLEANS = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
"""What Go's strconv.ParseBool accepts (no-new-privileges=<bool>)."""
JSON_STARTS = frozenset('{["-0123456789tfn \t\r\n')
"""Characters a JSON text may start with; any other first character of a seccomp profile gives
the engine's `invalid character 'x' looking for beginning of value`."""


def _security_opt_refusal(option: str) -> str | None:
    """How the engine refuses a security option (engine 20.10's parseSecurityOpt, and its seccomp
    profile decoding at start), or None when it accepts it."""
    if option in ("no-new-privileges", "disable"):
        return None
    separator = "=" if "=" in option else ":" if ":" in option else None
    if separator is None:
        return f'at create with "invalid --security-opt 1: "{option}""'
    key, value = option.split(separator, 1)
    if key not in SECURITY_OPT_KEYS or (key == "no-new-privileges" and value not in GO_BOOLEANS):
        return f'at create with "invalid --security-opt 2: "{option}""'
    if key == "seccomp" and value not in ("", "unconfined") and value[0] not in JSON_STARTS:
        return (
            'at start with "Decoding seccomp profile failed: invalid character '
            f"'{value[0]}' looking for beginning of value\""
        )
    return None


SECURITY_OPT_HINTS = {
    "systempaths": (
        "the docker CLI turns systempaths=unconfined into empty masked and read-only path lists "
        "itself, which pulumi-docker does not; remove it"
    ),
    "seccomp": (
        "the engine takes the profile's JSON itself, not a file name (the docker CLI reads the "
        'file, pulumi-docker does not); give the file\'s contents, or "unconfined"'
    ),
}
"""The fix for a refused option, by its key; anything else gets the list of what is accepted."""


@for_subjects(services=False)
def _valid_security_opts(subject: Subject) -> Iterator[str]:
    options, unknown = strings(subject.read(items, "securityOpts"))
    for option in options:
        refusal = _security_opt_refusal(option)
        if refusal is None:
            continue
        key = option.replace(":", "=").split("=", 1)[0]
        fix = SECURITY_OPT_HINTS.get(
            key,
            "write no-new-privileges[=<bool>], seccomp=unconfined (or a profile's JSON), "
            "apparmor=<profile> or label=<option>",
        )
        yield f'securityOpts has "{option}", which the engine refuses {refusal}; {fix}'
    if unknown:
        subject.undecided(f"the securityOpts of {subject.subject} are")


docker_container_enforce_valid_security_opt = ResourceValidationPolicy(
    name="docker-container-enforce-valid-security-opt",
    description="A container's security options are ones the engine accepts.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_security_opts,
)

UNCONFINED_REASONS = {
    "seccomp=unconfined": (
        "runs the container without a seccomp filter: every system call the kernel has, user "
        "namespaces (unshare) among them, which Docker's default profile refuses"
    ),
    "apparmor=unconfined": "runs the container without an AppArmor profile on hosts that use one",
    "label=disable": "runs the container without SELinux separation on hosts that use it",
    "disable": "runs the container without SELinux separation on hosts that use it",
}
"""What each confinement-dropping option does, by option (`key:value` is read as `key=value`)."""
OPEN_SECCOMP_ACTIONS = frozenset({"", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})
"""Default actions of a seccomp profile that let a call through."""
EMPTY_PROFILE_REASON = (
    "is a seccomp profile without a rule whose default action lets every call through (the "
    "engine runs a container given {} with no filter at all: Seccomp 0), as open as "
    "seccomp=unconfined"
)
"""What a profile that filters nothing does."""


def _filters_nothing(profile: str) -> bool:
    """Whether a seccomp profile's JSON has no rule and a default action that allows calls."""
    try:
        parsed = json.loads(profile)
    except (ValueError, RecursionError):
        return False
    if not isinstance(parsed, dict) or parsed.get("syscalls"):
        return False
    action = parsed.get("defaultAction", "")
    return isinstance(action, str) and action in OPEN_SECCOMP_ACTIONS


@for_subjects(services=False)
def _unconfined(subject: Subject) -> Iterator[str]:
    options, unknown = strings(subject.read(items, "securityOpts"))
    for option in options:
        key, separator, value = option.partition("=" if "=" in option else ":")
        reason = UNCONFINED_REASONS.get(f"{key}={value}" if separator else option)
        if reason is None and key == "seccomp" and _filters_nothing(value):
            reason = EMPTY_PROFILE_REASON
        if reason is not None:
            yield (
                f'securityOpts "{option}" {reason}; remove it, or give a profile that allows '
                "only what the container needs"
            )
    if unknown:
        subject.undecided(f"the securityOpts of {subject.subject} are")


docker_container_disallow_unconfined_security_opt = ResourceValidationPolicy(
    name="docker-container-disallow-unconfined-security-opt",
    description=(
        "A container keeps its seccomp, AppArmor and SELinux confinement: no unconfined option "
        "and no seccomp profile that filters nothing."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_unconfined,
)

SECURITY_POLICIES = [
    docker_container_disallow_host_network,
    docker_container_disallow_host_namespaces,
    docker_container_disallow_host_user_namespace,
    docker_container_disallow_privileged,
    docker_container_enforce_allowed_capabilities,
    docker_container_disallow_unknown_capability,
    docker_container_enforce_valid_security_opt,
    docker_container_disallow_unconfined_security_opt,
    docker_container_enforce_port_bind_address,
]
"""The security rules, in README order."""
