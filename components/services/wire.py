"""The wire layer: how a service's spec is written in pulumi-docker's inputs, one helper per
concern, for both targets (a `docker.Container` on one engine, a `docker.Service` on a swarm).

Durations, mounts, published ports, health checks, labels and resources are each mapped here
once; the targets only choose which of the provider's two shapes a helper writes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pulumi
import pulumi_docker as docker

from ..problems import Location, Problem
from ..vocabulary import go_duration_ns
from ..volume import NamedVolume

if TYPE_CHECKING:
    from ..container import HealthcheckSpec, MountSpec, PortSpec

Shape = Literal["container", "service"]
"""Which of the provider's two resources an input is written for."""

# -- durations ---------------------------------------------------------------------------------

_UNITS = ("ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h")
"""The units of a duration, as Go's `time.ParseDuration` (and so the provider) reads them."""
_LONGEST_FIRST = sorted(_UNITS, key=len, reverse=True)


def duration_ns(text: str) -> int | None:
    """A duration as every duration of a service is written (`10s`, `1m30s`, `500ms`): one or
    more parts of digits (with an optional fraction) and a unit, no sign; in nanoseconds, or
    None when `text` is not one. The one grammar of the library's durations."""
    at = 0
    end = len(text)
    if end == 0:
        return None
    while at < end:
        start = at
        while at < end and "0" <= text[at] <= "9":
            at += 1
        if at == start:
            return None
        if at < end and text[at] == ".":
            at += 1
            start = at
            while at < end and "0" <= text[at] <= "9":
                at += 1
            if at == start:
                return None
        unit = next((u for u in _LONGEST_FIRST if text.startswith(u, at)), "")
        if not unit:
            return None
        at += len(unit)
    return go_duration_ns(text)


def seconds(duration: str) -> float:
    """A duration (checked by `duration_ns`) in seconds."""
    return (duration_ns(duration) or 0) / 1e9


DURATION_FORM = "write it like 10s, 1m30s or 500ms"
"""How a duration is written, as a refusal says it."""


def quoted(value: str) -> str:
    """A user's string as a message shows it: quoted, control characters escaped."""
    return json.dumps(value, ensure_ascii=False)


def duration_problems(at: str | Location, value: str | None) -> list[Problem]:
    """The problem of a duration that is not one, placed at `at`."""
    if value is None or duration_ns(value) is not None:
        return []
    return [Problem(at, f"{quoted(value)} is not a duration; {DURATION_FORM}")]


# -- mounts ------------------------------------------------------------------------------------


def mount_source(mount: MountSpec) -> pulumi.Input[str] | None:
    """What the provider mounts: a volume's engine name (a `docker.Volume`'s name Output, which
    carries the dependency) or a host path."""
    if isinstance(mount.source, NamedVolume):
        return mount.source.volume_name
    if isinstance(mount.source, docker.Volume):
        return mount.source.name
    return mount.source


_MOUNT: dict[Shape, tuple[Any, Any]] = {
    "container": (docker.ContainerMountArgs, docker.ContainerMountTmpfsOptionsArgs),
    "service": (
        docker.ServiceTaskSpecContainerSpecMountArgs,
        docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs,
    ),
}


def mount(spec: MountSpec, shape: Shape) -> Any:
    """One mount: a volume, a host path or a tmpfs (with its size and mode)."""
    mount_args, tmpfs_args = _MOUNT[shape]
    return mount_args(
        target=spec.target,
        type=spec.type,
        source=mount_source(spec),
        read_only=spec.read_only or None,
        tmpfs_options=tmpfs_args(size_bytes=spec.tmpfs_size, mode=spec.tmpfs_mode)
        if spec.tmpfs_size is not None or spec.tmpfs_mode is not None
        else None,
    )


def volume_needs(mounts: Sequence[MountSpec]) -> list[pulumi.Resource]:
    """The volume components a service's mounts use, which it is registered after."""
    return [m.source for m in mounts if isinstance(m.source, NamedVolume)]


# -- published ports ---------------------------------------------------------------------------


def ports(specs: Sequence[PortSpec], shape: Shape) -> list[Any] | None:
    """The published ports: on one engine bound on a host address; on a swarm published through
    the routing mesh (`ingress`) or on the task's node (`host`)."""
    if shape == "container":
        return [
            docker.ContainerPortArgs(
                internal=port.internal, external=port.external, ip=port.host_ip,
                protocol=port.protocol,
            )
            for port in specs
        ] or None  # fmt: skip
    return [
        docker.ServiceEndpointSpecPortArgs(
            target_port=port.internal, published_port=port.external, protocol=port.protocol,
            publish_mode=port.mode,
        )
        for port in specs
    ] or None  # fmt: skip


# -- health checks -----------------------------------------------------------------------------

_HEALTHCHECK: dict[Shape, Any] = {
    "container": docker.ContainerHealthcheckArgs,
    "service": docker.ServiceTaskSpecContainerSpecHealthcheckArgs,
}


def healthcheck(spec: HealthcheckSpec | None, shape: Shape) -> Any:
    """The health check, with its timings as written."""
    if spec is None:
        return None
    return _HEALTHCHECK[shape](
        tests=list(spec.test),
        interval=spec.interval,
        timeout=spec.timeout,
        retries=spec.retries,
        start_period=spec.start_period,
    )


WAIT_TIMEOUT_FLOOR = 60
"""The provider's own `wait_timeout` default, in seconds: never wait less."""


def health_wait_timeout(check: HealthcheckSpec) -> int:
    """How long to wait for a container to become healthy: until the engine would call it
    unhealthy (its start period, then `retries` failed checks of `interval` plus `timeout`,
    after the first `interval`), and never less than the provider's 60 s default."""
    period = seconds(check.interval) + seconds(check.timeout)
    bound = seconds(check.start_period) + (check.retries + 1) * period
    return max(WAIT_TIMEOUT_FLOOR, math.ceil(bound))


# -- labels ------------------------------------------------------------------------------------


def labels(values: Mapping[str, str], args: Any) -> list[Any]:
    """Labels as the provider's `{label, value}` list, sorted by label."""
    return [args(label=k, value=v) for k, v in sorted(values.items())]


# -- resources ---------------------------------------------------------------------------------

MIB = 1024 * 1024
"""Bytes in a MiB: memory is given in MiB."""


def nano_cpus(cpus: str | None) -> int | None:
    """A CPU count (`"0.5"`) as the swarm's NanoCPUs."""
    return round(float(cpus) * 1e9) if cpus is not None else None


def memory_bytes(mib: int | None) -> int | None:
    """A memory size in MiB as bytes."""
    return mib * MIB if mib is not None else None
