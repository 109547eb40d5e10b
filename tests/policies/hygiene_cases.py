"""The failing (and passing) cases of the hygiene rules.

Each case starts from `compliant_stack()`, whose containers carry the hardening these rules ask
for, and changes one field of one resource; `expected` is every message the rule must report.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from tests.pack_client import Resource
from tests.policies.policy_cases import Case, drop_field, set_field
from tests.policies.security_cases import StackCase, service

LOGGING = "docker-container-disallow-disabled-logging"
PROPAGATION = "docker-container-disallow-shared-mount-propagation"
ROOT_USER = "docker-container-disallow-root-user"
TMPFS = "docker-container-disallow-insecure-tmpfs-options"
SECRET_ENV = "docker-container-disallow-secret-in-env"
DANGEROUS_DEVICE = "docker-container-disallow-dangerous-device"
PINNED_IMAGE = "docker-container-require-pinned-image"
NO_NEW_PRIVILEGES = "docker-container-require-no-new-privileges"
CAPABILITY_DROP = "docker-container-require-capability-drop"
READ_ONLY_ROOT = "docker-container-require-read-only-root"
MEMORY_LIMIT = "docker-container-require-memory-limit"
IMAGE_DIGEST = "docker-container-require-image-digest"

HARDENING = [NO_NEW_PRIVILEGES, CAPABILITY_DROP, READ_ONLY_ROOT, MEMORY_LIMIT, IMAGE_DIGEST]
"""The rules that say once per stack what hardening its containers leave out, in pack order."""

CONTAINERS = 8
"""The containers of the compliant stack."""


def _no_op(props: dict[str, Any]) -> None:
    del props


def _without_logs(resource: Resource) -> Resource:
    """A service whose tasks log nowhere."""
    props = copy.deepcopy(dict(resource.props))
    props["taskSpec"]["logDriver"] = {"name": "none"}
    return replace(resource, props=props)


def _secret_env(name: str, why: str, subject: str = 'container "bbox1"') -> str:
    return (
        f"{subject}: env {name} {why}; the engine shows environment variables to anyone who can "
        "inspect the container; give it as a secret read from a file (the topology's secrets "
        "with file:, swarm secrets for a service), or list the variable in this policy's "
        "allowedEnv config if it is not secret."
    )


PLAIN = "looks like a credential and is written as plain text"
CONNECTION = "holds a connection string with its password written in"


LACKING = {
    NO_NEW_PRIVILEGES: (
        "run without no-new-privileges, so a setuid program in the image can raise a process's "
        "privileges",
        "add the security option no-new-privileges (securityOpts; topology and compose: "
        "security_opt)",
    ),
    CAPABILITY_DROP: (
        "keep Docker's default capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, ...)",
        "drop them all (capabilities.drops [ALL]; topology capabilities_drop, compose cap_drop) "
        "and add back only what each needs",
    ),
    READ_ONLY_ROOT: (
        "have a writable root filesystem, where an intruder may change the programs",
        "set readOnly true (topology and compose: read_only) and mount a volume or tmpfs where "
        "each writes",
    ),
    MEMORY_LIMIT: (
        "have no memory limit, so one of them can take all the host's memory",
        "set memory (topology memory; compose mem_limit or deploy.resources.limits.memory)",
    ),
    IMAGE_DIGEST: (
        "name their image by tag only, which its publisher can move to another image",
        "add the digest the tag stands for (name:tag@sha256:...)",
    ),
}
"""What each hardening rule says the containers without it do, and the fix."""


def summary(policy: str, names: list[str], total: int = CONTAINERS) -> str:
    """The once-per-stack message of a hardening rule."""
    lacking, fix = LACKING[policy]
    shown = ", ".join(f'"{n}"' for n in names)
    return f"{len(names)} of {total} containers {lacking}: {shown}; {fix}."


HYGIENE_CASES: list[Case] = [
    Case(
        "logging-disabled",
        LOGGING,
        "bboxes-bbox1",
        set_field("logDriver", "none"),
        (
            (
                'container "bbox1": logDriver "none" keeps no log of what the container does '
                "(docker logs shows nothing and no collector receives it); remove it, or name a "
                "driver that keeps logs (json-file, local, journald, syslog, ...).",
                "",
            ),
        ),
    ),
    Case("logging-to-a-driver", LOGGING, "bboxes-bbox1", set_field("logDriver", "journald"), ()),
    StackCase(
        "logging-disabled-in-a-service",
        LOGGING,
        "bboxes-bbox1",
        _no_op,
        (
            (
                'service "api": taskSpec.logDriver.name "none" keeps no log of what the container '
                "does (docker logs shows nothing and no collector receives it); remove it, or "
                "name a driver that keeps logs (json-file, local, journald, syslog, ...).",
                "",
            ),
        ),
        added=(_without_logs(service("api")),),
    ),
    Case(
        "shared-propagation",
        PROPAGATION,
        "bboxes-bbox1",
        set_field(
            "mounts",
            [
                {
                    "type": "bind",
                    "source": "/srv/media",
                    "target": "/media",
                    "bindOptions": {"propagation": "rshared"},
                },
                {
                    "type": "bind",
                    "source": "/srv/disks",
                    "target": "/disks",
                    "bindOptions": {"propagation": "rslave"},
                },
            ],
        ),
        (
            (
                'container "bbox1": mounts[0].bindOptions.propagation "rshared" carries mounts '
                "both ways: what the container mounts below the bind appears on the host, and the "
                "host's in the container; remove it (rprivate, Docker's default), or use rslave "
                "to see the host's mounts only.",
                "",
            ),
        ),
    ),
    Case(
        "root-user",
        ROOT_USER,
        "bboxes-bbox1",
        set_field("user", "0:0"),
        (
            (
                'container "bbox1": user "0:0" runs the container as root on purpose, and root in '
                "a container is the host's root wherever the container gets out (the engine "
                "remaps no user by default); run it as a user of the image, or a numeric one "
                '("1000:1000").',
                "",
            ),
        ),
    ),
    Case("user-not-root", ROOT_USER, "bboxes-bbox1", set_field("user", "1000:root"), ()),
    Case(
        "tmpfs-exec",
        TMPFS,
        "bboxes-bbox1",
        set_field("tmpfs", {"/tmp": "rw,noexec,nosuid", "/run": "rw,exec,suid"}),
        (
            (
                'container "bbox1": tmpfs "/run" has "exec", "suid", which lets the container run '
                "programs (setuid ones, device nodes) it wrote to memory, where no image layer "
                "holds them; remove the option (Docker mounts a tmpfs noexec, nosuid, nodev).",
                "",
            ),
        ),
    ),
    Case(
        "credentials-in-env",
        SECRET_ENV,
        "bboxes-bbox1",
        set_field(
            "envs",
            [
                "DB_PASSWORD=hunter2",
                "DATABASE_URL=postgres://app:s3cret@db:5432/app",
                "DB_PASSWORD_FILE=/run/secrets/db",
                "API_TOKEN=",
                "HOME_URL=https://example.org/",
                "CACHE_URL=redis://cache:6379/0",
            ],
        ),
        (
            (_secret_env("DB_PASSWORD", PLAIN), ""),
            (_secret_env("DATABASE_URL", CONNECTION), ""),
        ),
    ),
    Case(
        "credentials-in-env-allowed",
        SECRET_ENV,
        "bboxes-bbox1",
        set_field("envs", ["DB_PASSWORD=hunter2"]),
        (),
        config={"allowedEnv": ["DB_PASSWORD"]},
    ),
    StackCase(
        "connection-string-in-a-service",
        SECRET_ENV,
        "bboxes-bbox1",
        _no_op,
        ((_secret_env("BROKER", CONNECTION, 'service "api"'), ""),),
        added=(service("api", env={"BROKER": "amqp://guest:guest@mq//"}),),
    ),
    Case(
        "dangerous-devices",
        DANGEROUS_DEVICE,
        "bboxes-bbox1",
        set_field(
            "devices",
            [
                {"hostPath": "/dev/kmsg"},
                {"hostPath": "/dev/fuse"},
                {"hostPath": "/dev/char/10:237"},
            ],
        ),
        (
            (
                'container "bbox1": devices[0].hostPath "/dev/kmsg" passes the host kernel\'s '
                "log, which the container reads and writes into the container; remove the "
                "device.",
                "",
            ),
            (
                'container "bbox1": devices[2].hostPath "/dev/char/10:237" passes the host\'s '
                "loop devices (/dev/loop-control) into the container; remove the device.",
                "",
            ),
        ),
    ),
    Case(
        "image-without-version",
        PINNED_IMAGE,
        "bboxes-bbox1",
        set_field("image", "registry.local:5000/tools/busybox"),
        (
            (
                'container "bbox1": image "registry.local:5000/tools/busybox" names no version, '
                "so each pull may bring another image (the engine takes whatever latest is "
                "then); pin a version tag, or a digest (name@sha256:...).",
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "image-latest",
        PINNED_IMAGE,
        "web-web1",
        set_field("image", "httpd:latest"),
        (
            (
                'container "web1": image "httpd:latest" names "latest", so each pull may bring '
                "another image (the engine takes whatever latest is then); pin a version tag, or "
                "a digest (name@sha256:...).",
                "web-web1",
            ),
        ),
    ),
    Case(
        "without-no-new-privileges",
        NO_NEW_PRIVILEGES,
        "bboxes-bbox1",
        set_field("securityOpts", ["no-new-privileges=false"]),
        ((summary(NO_NEW_PRIVILEGES, ["bbox1"]), ""),),
    ),
    Case(
        "without-capability-drop",
        CAPABILITY_DROP,
        "web-web1-monitor",
        set_field("capabilities", {"adds": ["NET_ADMIN"], "drops": ["NET_RAW"]}),
        ((summary(CAPABILITY_DROP, ["web1-monitor"]), ""),),
    ),
    Case(
        "without-read-only-root",
        READ_ONLY_ROOT,
        "data-db",
        drop_field("readOnly"),
        ((summary(READ_ONLY_ROOT, ["db"]), ""),),
    ),
    Case(
        "without-memory-limit",
        MEMORY_LIMIT,
        "data-api",
        drop_field("memory"),
        ((summary(MEMORY_LIMIT, ["api"]), ""),),
    ),
    Case(
        "without-image-digest",
        IMAGE_DIGEST,
        "bbox3",
        set_field("image", "busybox:1.36"),
        ((summary(IMAGE_DIGEST, ["bbox3"]), ""),),
    ),
]
"""Every case of the hygiene rules."""
