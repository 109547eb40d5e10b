"""The shape of the `topology` stack config value.

Container fields are the components' own `ContainerSpec` fields, so the config and the
component API never drift apart; networks are referred to by their key under `networks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..checking import CONFIG
from ..container import ContainerSpec
from ..dns_group import DnsMember
from ..overlay import OverlayNetworkArgs
from ..service import Sidecar
from ..services.graph import Condition
from ..swarm import Deploy
from ..vocabulary import NetworkDriverName, NetworkMode
from ..volume import NamedVolumeArgs


@dataclass(frozen=True, kw_only=True)
class AttachmentConfig:
    """A network the owner of a joined group is on."""

    network: str
    """A key of `networks`, or `bridge` for the default bridge."""
    aliases: tuple[str, ...] = ()
    """Extra DNS names for the owner on this network."""
    ipv4_address: str | None = None
    """A static address, or `auto`."""
    ipv6_address: str | None = None
    """A static IPv6 address."""


@dataclass(frozen=True, kw_only=True)
class DnsGroupConfig:
    """Containers on one user-defined network that resolve each other by name."""

    network: str
    """A key of `networks`."""
    members: dict[str, DnsMember]
    """The members by container name."""


@dataclass(frozen=True, kw_only=True)
class OwnerConfig(ContainerSpec):
    """The owner of a joined group."""

    name: str
    """The owner's container name."""
    networks: tuple[AttachmentConfig, ...] = ()
    """Networks the owner is on; the default bridge when empty."""
    loopback_ports: tuple[int, ...] = ()
    """Ports the owner serves to its sidecars on 127.0.0.1."""


@dataclass(frozen=True, kw_only=True)
class SidecarConfig(Sidecar):
    """A sidecar of a joined group. The networking keys exist only to be refused clearly."""

    aliases: tuple[Any, ...] = ()
    """Refused: a sidecar has the owner's names."""
    networks: tuple[Any, ...] = ()
    """Refused: a sidecar is on the owner's networks."""
    ipv4_address: str | None = None
    """Refused: a sidecar has the owner's address."""


@dataclass(frozen=True, kw_only=True)
class JoinedGroupConfig:
    """An owner and the sidecars that share its network namespace."""

    owner: OwnerConfig
    """The owner."""
    sidecars: dict[str, SidecarConfig] = field(default_factory=dict)
    """The sidecars by container name."""


@dataclass(frozen=True, kw_only=True)
class StaticContainerConfig(ContainerSpec):
    """A container with a fixed address."""

    network: str
    """A key of `networks`."""
    ipv4_address: str = "auto"
    """The address, or `auto` for the network's next free one."""
    aliases: tuple[str, ...] = ()
    """Extra DNS names on the network."""


Target = Literal["engine", "swarm"]
"""Where a stack deploys: one Docker engine, or a Docker Swarm (through a manager)."""


@dataclass(frozen=True, kw_only=True)
class NetworkConfig(OverlayNetworkArgs):
    """A network of the stack: created here, or an external one that is only used."""

    driver: NetworkDriverName | None = None
    """A driver of `vocabulary.NETWORK_DRIVERS` (docs/network-drivers.md): `bridge` (one
    engine) or `overlay` (a swarm); None: the target's default (bridge on an engine, overlay on
    a swarm). The keys a driver's row lists as its own (`attachable`, `encrypted`: overlay)
    apply to that driver only."""
    external: bool = False
    """The network exists already (by `network_name`, else the key): used, never created or
    deleted; addresses on it are given, never `auto`."""


@dataclass(frozen=True, kw_only=True)
class SecretSourceConfig:
    """Where a secret's text comes from; it is never written in the stack file itself."""

    config: str | None = None
    """A key of this project's config holding the secret (`pulumi config set --secret KEY`)."""
    file: str | None = None
    """A file, relative to the project folder."""
    environment: str | None = None
    """An environment variable of the `pulumi up` process."""


@dataclass(frozen=True, kw_only=True)
class ConfigSourceConfig:
    """Where a config file's text comes from: exactly one of these."""

    file: str | None = None
    """A file, relative to the project folder, mounted read-only (as compose mounts one)."""
    content: str | None = None
    """The text itself, copied in."""
    environment: str | None = None
    """An environment variable of the `pulumi up` process whose value is copied in."""


@dataclass(frozen=True, kw_only=True)
class ServiceAttachmentConfig:
    """How a service is attached to one network."""

    aliases: tuple[str, ...] = ()
    """Extra DNS names on the network."""
    ipv4_address: str | None = None
    """A static IPv4 address, or `auto`."""
    ipv6_address: str | None = None
    """A static IPv6 address."""
    gw_priority: int | None = None
    """The highest priority among a service's networks gives it its default gateway."""
    interface_name: str | None = None
    """The name of the service's interface on this network (engine v28.1 and later)."""


@dataclass(frozen=True, kw_only=True)
class ServiceConfig(ContainerSpec):
    """A service: one container on any number of networks, with sidecars joined to it."""

    container_name: str | None = None
    """The container's name (on a swarm, the service's name); the service's key when None."""
    networks: dict[str, ServiceAttachmentConfig | None] = field(default_factory=dict)
    """Networks by key, each with aliases and addresses; the default bridge when empty."""
    network_mode: NetworkMode | None = None
    """The default bridge, the host's network, or none, instead of `networks`."""
    sidecars: dict[str, SidecarConfig] = field(default_factory=dict)
    """Sidecars joined to its network namespace, by container name."""
    loopback_ports: tuple[int, ...] = ()
    """Ports it serves to its sidecars on 127.0.0.1."""
    depends_on: dict[str, Condition] = field(default_factory=dict)
    """Services it waits for, by key: service_started, service_healthy or
    service_completed_successfully."""
    deploy: Deploy | None = None
    """On a swarm: replicas, placement, update and rollback, resources, endpoint mode."""


@dataclass(frozen=True, kw_only=True)
class TopologyConfig:
    """The whole topology of a stack."""

    target: Target = "engine"
    """`engine`: services are containers on one engine; `swarm`: services are swarm services
    on overlay networks, and DNS groups, static containers and joined groups are plain
    containers on the engine the stack deploys through (a manager)."""

    networks: dict[str, NetworkConfig] = field(default_factory=dict)
    """User-defined networks by key (the engine name is `network_name`, else the key)."""
    volumes: dict[str, NamedVolumeArgs] = field(default_factory=dict)
    """Named volumes by key (the engine name is `volume_name`, else the key)."""
    secrets: dict[str, SecretSourceConfig] = field(default_factory=dict)
    """Secrets by name, and where each one's text comes from."""
    configs: dict[str, ConfigSourceConfig] = field(default_factory=dict)
    """Configuration files by name, and where each one's text comes from."""
    services: dict[str, ServiceConfig] = field(default_factory=dict)
    """Services by key: containers on any number of networks, with sidecars and
    dependencies."""
    dns_groups: dict[str, DnsGroupConfig] = field(default_factory=dict)
    """DNS groups by name."""
    joined_groups: dict[str, JoinedGroupConfig] = field(default_factory=dict)
    """Joined groups by name."""
    containers: dict[str, StaticContainerConfig] = field(default_factory=dict)
    """Containers with static addresses, by container name."""
    pull_images: bool = True
    """Pull every image (False: use images already on the engine); a container's own `pull`
    overrides it."""
    application: str = "app"
    """The name of the component holding `services`."""


# Unknown keys are errors, not silently dropped; the components' own dataclasses carry the
# same setting (components/__init__.py), and their subclasses here inherit it.
for _schema_class in (
    NetworkConfig,
    SecretSourceConfig,
    ConfigSourceConfig,
    ServiceAttachmentConfig,
    AttachmentConfig,
    DnsGroupConfig,
    JoinedGroupConfig,
    TopologyConfig,
):
    setattr(_schema_class, "__pydantic_config__", CONFIG)  # noqa: B010
