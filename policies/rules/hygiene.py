"""Hygiene rules: settings that weaken a container without handing it the host.

All are advisory (a policy config raises any of them: `"enforcementLevel": "mandatory"`). Two
kinds:
- a setting written that weakens the container (logging off, shared mount propagation, root
  named as the user, an executable tmpfs, a credential written into the env, an unpinned image,
  a device that reaches the kernel): reported per container, where it is written;
- hardening left out (no-new-privileges, dropped capabilities, a read-only root, a memory limit,
  an image digest): what most containers leave out, so each rule says it once per stack, naming
  the containers, instead of once per container.

A swarm service's task is judged as a container wherever a service's wire has the setting (log
driver, mounts' propagation, user, env, image, capDrops, readOnly, the task's memory limit); a
service's wire has no tmpfs map, devices or securityOpts, so those rules judge containers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._mounts import host_path
from ._props import (
    UNKNOWN,
    Unknown,
    finish,
    flag,
    is_unknown,
    items,
    number,
    record,
    strings,
    text,
    unwrap,
)
from ._stack import StackIndex
from ._subject import Subject, for_subjects, stack_subjects
from .vocabulary import CREDENTIAL_NAME

_STRINGS = {"type": "array", "items": {"type": "string"}}


# -- logging ----------------------------------------------------------------------------------


@for_subjects(services=True)
def _disabled_logging(subject: Subject) -> Iterator[str]:
    driver = subject.read(text, "logDriver")
    key = subject.where("logDriver")
    if isinstance(driver, Unknown):
        subject.undecided(f"the {key} of {subject.subject} is")
    elif driver == "none":
        yield (
            f'{key} "none" keeps no log of what the container does (docker logs shows nothing '
            "and no collector receives it); remove it, or name a driver that keeps logs "
            "(json-file, local, journald, syslog, ...)"
        )


docker_container_disallow_disabled_logging = ResourceValidationPolicy(
    name="docker-container-disallow-disabled-logging",
    description="A container or service keeps a log (its log driver is not none).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_disabled_logging,
)


# -- mount propagation ------------------------------------------------------------------------

SHARED_PROPAGATION = frozenset({"shared", "rshared"})
"""Bind propagation modes that carry mounts between the container and the host."""


@for_subjects(services=True)
def _shared_propagation(subject: Subject) -> Iterator[str]:
    mounts = subject.read(items, "mounts")
    if isinstance(mounts, Unknown):
        subject.undecided(f"the mounts of {subject.subject} are")
        return
    where = subject.where("mounts")
    for index, mount in enumerate(mounts):
        mode = text(record(mount, "bindOptions"), "propagation")
        if isinstance(mode, Unknown):
            subject.undecided(f"{where}[{index}].bindOptions.propagation of {subject.subject} is")
        elif mode in SHARED_PROPAGATION:
            yield (
                f'{where}[{index}].bindOptions.propagation "{mode}" carries mounts both ways: '
                "what the container mounts below the bind appears on the host, and the host's in "
                "the container; remove it (rprivate, Docker's default), or use rslave to see the "
                "host's mounts only"
            )


docker_container_disallow_shared_mount_propagation = ResourceValidationPolicy(
    name="docker-container-disallow-shared-mount-propagation",
    description="A bind mount does not share mounts with the host (propagation shared, rshared).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_shared_propagation,
)


# -- root user --------------------------------------------------------------------------------

ROOT_USERS = frozenset({"root", "0"})
"""How a user spec names root (before any `:group`)."""


@for_subjects(services=True)
def _root_user(subject: Subject) -> Iterator[str]:
    user = subject.read(text, "user")
    if isinstance(user, Unknown):
        subject.undecided(f"the user of {subject.subject} is")
    elif user is not None and user.split(":", 1)[0].strip() in ROOT_USERS:
        yield (
            f'user "{user}" runs the container as root on purpose, and root in a container is '
            "the host's root wherever the container gets out (the engine remaps no user by "
            'default); run it as a user of the image, or a numeric one ("1000:1000")'
        )


docker_container_disallow_root_user = ResourceValidationPolicy(
    name="docker-container-disallow-root-user",
    description="A container or service does not name root as its user.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_root_user,
)


# -- tmpfs options ----------------------------------------------------------------------------

INSECURE_TMPFS_OPTIONS = ("exec", "suid", "dev")
"""tmpfs options that undo what Docker mounts a tmpfs with by default (noexec, nosuid, nodev)."""


@for_subjects(services=False)
def _insecure_tmpfs(subject: Subject) -> Iterator[str]:
    tmpfs = subject.read(record, "tmpfs")
    if isinstance(tmpfs, Unknown):
        subject.undecided(f"the tmpfs of {subject.subject} is")
        return
    for target in sorted(tmpfs):
        options = unwrap(tmpfs[target])
        if is_unknown(options):
            subject.undecided(f'the tmpfs options of "{target}" of {subject.subject} are')
            continue
        if not isinstance(options, str):
            continue
        given = {o.strip() for o in options.split(",")}
        found = [o for o in INSECURE_TMPFS_OPTIONS if o in given]
        if found:
            shown = ", ".join(f'"{o}"' for o in found)
            yield (
                f'tmpfs "{target}" has {shown}, which lets the container run programs (setuid '
                "ones, device nodes) it wrote to memory, where no image layer holds them; remove "
                "the option (Docker mounts a tmpfs noexec, nosuid, nodev)"
            )


docker_container_disallow_insecure_tmpfs_options = ResourceValidationPolicy(
    name="docker-container-disallow-insecure-tmpfs-options",
    description="A container's tmpfs mounts stay noexec, nosuid and nodev.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_insecure_tmpfs,
)


# -- credentials in env -----------------------------------------------------------------------


def _is_secret(value: Any) -> bool:
    return type(value).__name__ == "Secret"


def _credential_of(name: str, value: str) -> str | None:
    """Why `name=value` holds a credential written into the config, or None."""
    if CREDENTIAL_NAME.search(name) and value and not value.startswith("/"):
        return "looks like a credential and is written as plain text"
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return None
    if parts.scheme and password and not password.startswith("$"):
        return "holds a connection string with its password written in"
    return None


@for_subjects(services=True)
def _secret_in_env(subject: Subject) -> Iterator[str]:
    allowed = set(subject.setting("allowedEnv", []))
    entries = subject.env()
    if isinstance(entries, Unknown):
        subject.undecided(f"the env of {subject.subject} is")
        return
    unknown = False
    for _, key, entry in entries:
        if _is_secret(entry):
            continue  # a Pulumi secret: not written into the stack
        value = unwrap(entry)
        if is_unknown(value):
            unknown = True
            continue
        if not isinstance(value, str):
            continue
        if subject.is_service:
            name = key
        else:
            name, _, value = value.partition("=")
        why = _credential_of(name, value)
        if why is None or name in allowed:
            continue
        yield (
            f"env {name} {why}; the engine shows environment variables to anyone who can inspect "
            "the container; give it as a secret read from a file (the topology's secrets with "
            "file:, swarm secrets for a service), or list the variable in this policy's "
            "allowedEnv config if it is not secret"
        )
    if unknown:
        subject.undecided(f"some env of {subject.subject} is")


docker_container_disallow_secret_in_env = ResourceValidationPolicy(
    name="docker-container-disallow-secret-in-env",
    description=(
        "A container's or service's env holds no credential written as plain text, neither as a "
        "credential-named variable nor inside a connection string."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedEnv": {
                **_STRINGS,
                "default": [],
                "description": "Variable names that look like credentials but are not secret.",
            }
        }
    ),
    validate=_secret_in_env,
)


# -- devices that reach the kernel ------------------------------------------------------------

DANGEROUS_DEVICES: dict[str, str] = {
    "/dev/kmsg": "the host kernel's log, which the container reads and writes",
    "/dev/char/1:11": "the host kernel's log (/dev/kmsg), which the container reads and writes",
    "/dev/mem": "the host's physical memory",
    "/dev/char/1:1": "the host's physical memory (/dev/mem)",
    "/dev/port": "the host's I/O ports",
    "/dev/char/1:4": "the host's I/O ports (/dev/port)",
    "/dev/loop-control": "the host's loop devices, which the container can create and attach",
    "/dev/char/10:237": "the host's loop devices (/dev/loop-control)",
}
"""Character devices that reach the host's kernel, with what each hands over."""


@for_subjects(services=False)
def _dangerous_device(subject: Subject) -> Iterator[str]:
    devices = subject.read(items, "devices")
    if isinstance(devices, Unknown):
        subject.undecided(f"the devices of {subject.subject} are")
        return
    for index, entry in enumerate(devices):
        written = text(entry, "hostPath")
        if isinstance(written, Unknown):
            subject.undecided(f"devices[{index}].hostPath of {subject.subject} is")
            continue
        path = host_path(written) if written is not None else None
        what = DANGEROUS_DEVICES.get(path or "")
        if what is not None:
            yield (
                f'devices[{index}].hostPath "{written}" passes {what} into the container; '
                "remove the device"
            )


docker_container_disallow_dangerous_device = ResourceValidationPolicy(
    name="docker-container-disallow-dangerous-device",
    description=(
        "No container is given a device that reaches the host's kernel (/dev/kmsg, /dev/mem, "
        "/dev/port, /dev/loop-control)."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_dangerous_device,
)


# -- image pinning ----------------------------------------------------------------------------


def _tag_of(image: str) -> tuple[str | None, bool]:
    """(tag, has a digest) of an image reference."""
    name, at, _ = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    return tag, bool(at)


def _pinned_image(args: StackValidationArgs, report: ReportViolation) -> None:
    for subject, urn, image in stack_subjects(StackIndex(args.resources)):
        if not isinstance(image, str):
            continue  # an image id computed by a resource the stack does not name: no name to read
        tag, digest = _tag_of(image)
        if digest or (tag is not None and tag != "latest"):
            continue
        said = 'names "latest"' if tag else "names no version"
        report(
            f'{subject.subject}: image "{image}" {said}, so each pull may bring another image (the '
            "engine takes whatever latest is then); pin a version tag, or a digest "
            "(name@sha256:...).",
            urn,
        )


docker_container_require_pinned_image = StackValidationPolicy(
    name="docker-container-require-pinned-image",
    description="A container's or service's image names a version other than latest, or a digest.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_pinned_image,
)


# -- hardening left out, said once per stack --------------------------------------------------


def _no_new_privileges(subject: Subject) -> bool | Unknown:
    options, unknown = strings(subject.read(items, "securityOpts"))
    for option in options:
        key, separator, value = option.partition("=" if "=" in option else ":")
        if key == "no-new-privileges" and (
            not separator or value in ("1", "t", "T", "true", "TRUE", "True")
        ):
            return True
    return UNKNOWN if unknown else False


def _drops_all(subject: Subject) -> bool | Unknown:
    drops, unknown = strings(subject.read(items, "capabilities.drops"))
    if any(d.strip().upper() in ("ALL", "CAP_ALL") for d in drops):
        return True
    return UNKNOWN if unknown else False


def _read_only_root(subject: Subject) -> bool | Unknown:
    value = subject.read(flag, "readOnly")
    return value if isinstance(value, Unknown) else value is True


def _memory_limit(subject: Subject) -> bool | Unknown:
    if subject.is_service:
        # In bytes, in the task's resources (the swarm rules judge the value).
        limits = record(record(record(subject.props, "taskSpec"), "resources"), "limits")
        value = limits if isinstance(limits, Unknown) else number(limits, "memoryBytes")
    else:
        value = number(subject.props, "memory")
    return value if isinstance(value, Unknown) else value is not None and value > 0


def _digest(image: str) -> bool:
    """Whether an image is named by digest (`name@sha256:...`) or is an image id."""
    return _tag_of(image)[1] or image.startswith("sha256:")


@dataclass(frozen=True)
class _Hardening:
    """One piece of hardening most containers leave out."""

    check: Callable[[Subject], bool | Unknown]
    """Whether a container (or a swarm service's task) has it."""
    lacking: str
    """What the containers without it do, after "run" or "have"."""
    fix: str
    """How to add it."""
    services: bool = True
    """Whether a swarm service's wire can have it (and so is judged too)."""


def _left_out(hardening: _Hardening) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        lacking: list[str] = []
        unknowns: list[str] = []
        total = 0
        for subject, _, _ in stack_subjects(StackIndex(args.resources)):
            if subject.is_service and not hardening.services:
                continue
            total += 1
            has = hardening.check(subject)
            if isinstance(has, Unknown):
                unknowns.append(f"whether {subject.subject} has it is")
            elif not has:
                lacking.append(subject.label)
        if lacking:
            report(_summary(lacking, total, hardening), None)
        finish(args, unknowns)

    return validate


def _summary(lacking: Iterable[str], total: int, hardening: _Hardening) -> str:
    names = list(lacking)
    shown = ", ".join(f'"{n}"' for n in names[:10]) + (" and more" if len(names) > 10 else "")
    return f"{len(names)} of {total} containers {hardening.lacking}: {shown}; {hardening.fix}."


NO_NEW_PRIVILEGES = _Hardening(
    _no_new_privileges,
    "run without no-new-privileges, so a setuid program in the image can raise a process's "
    "privileges",
    "add the security option no-new-privileges (securityOpts; topology and compose: security_opt)",
    services=False,  # a service's wire has no securityOpts
)
CAPABILITY_DROP = _Hardening(
    _drops_all,
    "keep Docker's default capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, ...)",
    "drop them all (capabilities.drops [ALL]; topology capabilities_drop, compose cap_drop) and "
    "add back only what each needs",
)
READ_ONLY_ROOT = _Hardening(
    _read_only_root,
    "have a writable root filesystem, where an intruder may change the programs",
    "set readOnly true (topology and compose: read_only) and mount a volume or tmpfs where each "
    "writes",
)
MEMORY_LIMIT = _Hardening(
    _memory_limit,
    "have no memory limit, so one of them can take all the host's memory",
    "set memory (topology memory; compose mem_limit or deploy.resources.limits.memory)",
)


def _image_digest(args: StackValidationArgs, report: ReportViolation) -> None:
    lacking: list[str] = []
    total = 0
    for subject, _, image in stack_subjects(StackIndex(args.resources)):
        total += 1
        if isinstance(image, str) and not _digest(image):
            lacking.append(subject.label)
    if lacking:
        report(_summary(lacking, total, IMAGE_DIGEST), None)


IMAGE_DIGEST = _Hardening(
    lambda _: True,
    "name their image by tag only, which its publisher can move to another image",
    "add the digest the tag stands for (name:tag@sha256:...)",
)

docker_container_require_no_new_privileges = StackValidationPolicy(
    name="docker-container-require-no-new-privileges",
    description="Containers run with no-new-privileges (said once per stack).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_left_out(NO_NEW_PRIVILEGES),
)
docker_container_require_capability_drop = StackValidationPolicy(
    name="docker-container-require-capability-drop",
    description="Containers drop Docker's default capabilities (said once per stack).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_left_out(CAPABILITY_DROP),
)
docker_container_require_read_only_root = StackValidationPolicy(
    name="docker-container-require-read-only-root",
    description="Containers have a read-only root filesystem (said once per stack).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_left_out(READ_ONLY_ROOT),
)
docker_container_require_memory_limit = StackValidationPolicy(
    name="docker-container-require-memory-limit",
    description="Containers have a memory limit (said once per stack).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_left_out(MEMORY_LIMIT),
)
docker_container_require_image_digest = StackValidationPolicy(
    name="docker-container-require-image-digest",
    description="Containers name their image by digest (said once per stack).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_image_digest,
)

HYGIENE_POLICIES = [
    docker_container_disallow_disabled_logging,
    docker_container_disallow_shared_mount_propagation,
    docker_container_disallow_root_user,
    docker_container_disallow_insecure_tmpfs_options,
    docker_container_disallow_secret_in_env,
    docker_container_disallow_dangerous_device,
    docker_container_require_pinned_image,
    docker_container_require_no_new_privileges,
    docker_container_require_capability_drop,
    docker_container_require_read_only_root,
    docker_container_require_memory_limit,
    docker_container_require_image_digest,
]
"""The hygiene rules, in README order."""
