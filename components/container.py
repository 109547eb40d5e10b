"""The one container spec every component uses, and the one place containers are built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_docker as docker

from components.images import ImageSet
from components.naming import container_name_problem
from components.problems import Problem

LABEL_PREFIX = "container-comms"
"""Prefix of the labels naming a container's stack, group, role and preset."""

MONITOR_CAPABILITIES = ("NET_ADMIN", "NET_RAW")
"""What capturing another container's traffic needs, and all the monitor preset adds."""

Role = Literal["static", "dns-member", "joined-owner", "joined-sidecar"]
Restart = Literal["no", "on-failure", "always", "unless-stopped"]


@dataclass(frozen=True)
class PortSpec:
    """A port published on the host."""

    internal: int
    """The container port."""
    external: int | None = None
    """The host port; None lets the engine pick one."""
    host_ip: str = "127.0.0.1"
    """The host address to bind; `0.0.0.0` publishes on every interface."""
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    """The transport protocol."""


@dataclass(frozen=True)
class HealthcheckSpec:
    """How the engine checks that the container is healthy."""

    test: tuple[str, ...]
    """The check, e.g. `("CMD", "wget", "-q", "-O-", "http://127.0.0.1/")`."""
    interval: str = "10s"
    """Time between checks."""
    timeout: str = "5s"
    """Time a check may take."""
    retries: int = 3
    """Failures in a row before the container counts as unhealthy."""
    start_period: str = "0s"
    """Grace period after start."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything about a container that is not how it is networked."""

    image: str
    """The image reference, e.g. `busybox:1.36`."""
    command: tuple[str, ...] = ()
    """The command, replacing the image's default."""
    entrypoint: tuple[str, ...] = ()
    """The entrypoint, replacing the image's default."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment variables."""
    ports: tuple[PortSpec, ...] = ()
    """Ports published on the host."""
    healthcheck: HealthcheckSpec | None = None
    """The health check, if any."""
    restart: Restart = "unless-stopped"
    """The restart policy."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels (the component adds stack, group and role labels)."""
    capabilities_add: tuple[str, ...] = ()
    """Linux capabilities to add."""
    capabilities_drop: tuple[str, ...] = ()
    """Linux capabilities to drop."""
    hostname: str | None = None
    """The hostname inside the container."""
    dns: tuple[str, ...] = ()
    """DNS servers replacing the engine's."""
    extra_hosts: Mapping[str, str] = field(default_factory=dict)
    """Extra host-to-IP mappings written into /etc/hosts."""


@dataclass(frozen=True)
class Placement:
    """How a container is networked, as the builder writes it on the wire."""

    network_mode: str | None = None
    """`container:<name>` to join another container's namespace; None for the default."""
    attachments: tuple[tuple[str, tuple[str, ...], str | None], ...] = ()
    """(network name, aliases, static IPv4 address) for each network the container joins."""


def name_problems(field: str, name: str) -> list[Problem]:
    """The problem of a container name the engine would refuse, placed at `field`."""
    reason = container_name_problem(name)
    return [Problem(field, reason)] if reason else []


def spec_problems(spec: ContainerSpec) -> list[Problem]:
    """What is wrong with a container's spec, whatever its group."""
    problems: list[Problem] = []
    if not spec.image.strip():
        problems.append(Problem("image", "is empty; name an image such as busybox:1.36"))
    for index, port in enumerate(spec.ports):
        for attr in ("internal", "external"):
            number = getattr(port, attr)
            if number is not None and not 1 <= number <= 65535:
                problems.append(
                    Problem(f"ports[{index}].{attr}", f"{number} is not a port (1-65535)")
                )
    return problems


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
) -> docker.Container:
    """Register one container with its stack, group and role labels.

    The image is pulled (or not) by `images`; the container depends on that pull. Monitors get
    exactly `MONITOR_CAPABILITIES` added on top of what the spec asks.
    """
    labels = {
        **spec.labels,
        f"{LABEL_PREFIX}.stack": pulumi.get_stack(),
        f"{LABEL_PREFIX}.group": group,
        f"{LABEL_PREFIX}.role": role,
    }
    adds = list(spec.capabilities_add)
    if monitor:
        labels[f"{LABEL_PREFIX}.preset"] = "monitor"
        adds += [cap for cap in MONITOR_CAPABILITIES if cap not in adds]
    capabilities = (
        docker.ContainerCapabilitiesArgs(
            adds=adds or None, drops=list(spec.capabilities_drop) or None
        )
        if adds or spec.capabilities_drop
        else None
    )
    return docker.Container(
        resource_name,
        name=container_name,
        image=spec.image,
        command=list(spec.command) or None,
        entrypoints=list(spec.entrypoint) or None,
        envs=[f"{key}={value}" for key, value in spec.env.items()] or None,
        ports=[
            docker.ContainerPortArgs(
                internal=port.internal,
                external=port.external,
                ip=port.host_ip,
                protocol=port.protocol,
            )
            for port in spec.ports
        ]
        or None,
        healthcheck=_healthcheck(spec.healthcheck),
        restart=spec.restart,
        must_run=True,
        labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
        capabilities=capabilities,
        hostname=spec.hostname,
        dns=list(spec.dns) or None,
        hosts=[docker.ContainerHostArgs(host=h, ip=ip) for h, ip in spec.extra_hosts.items()]
        or None,
        network_mode=placement.network_mode,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(
                name=network, aliases=list(aliases) or None, ipv4_address=address
            )
            for network, aliases, address in placement.attachments
        ]
        or None,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[*images.pulls_for(spec.image), *depends_on]
        ),
    )


def _healthcheck(spec: HealthcheckSpec | None) -> docker.ContainerHealthcheckArgs | None:
    if spec is None:
        return None
    return docker.ContainerHealthcheckArgs(
        tests=list(spec.test),
        interval=spec.interval,
        timeout=spec.timeout,
        retries=spec.retries,
        start_period=spec.start_period,
    )
