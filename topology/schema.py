"""The shape of the `topology` stack config value.

Container fields are the components' own `ContainerSpec` fields, so the config and the
component API never drift apart; networks are referred to by their key under `networks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pydantic

from components import DnsMember, HealthcheckSpec, PortSpec, Sidecar, UserDefinedNetworkArgs
from components.container import ContainerSpec


@dataclass(frozen=True, kw_only=True)
class AttachmentConfig:
    """A network the owner of a joined group is on."""

    network: str
    """A key of `networks`, or `bridge` for the default bridge."""
    aliases: tuple[str, ...] = ()
    """Extra DNS names for the owner on this network."""
    ipv4_address: str | None = None
    """A static address, or `auto`."""


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


@dataclass(frozen=True, kw_only=True)
class TopologyConfig:
    """The whole topology of a stack."""

    networks: dict[str, UserDefinedNetworkArgs] = field(default_factory=dict)
    """User-defined networks by key (the engine name is `network_name`, else the key)."""
    dns_groups: dict[str, DnsGroupConfig] = field(default_factory=dict)
    """DNS groups by name."""
    joined_groups: dict[str, JoinedGroupConfig] = field(default_factory=dict)
    """Joined groups by name."""
    containers: dict[str, StaticContainerConfig] = field(default_factory=dict)
    """Containers with static addresses, by container name."""
    pull_images: bool = True
    """Pull every image (False: use images already on the engine)."""


# Unknown keys are errors, not silently dropped: pydantic reads this from each dataclass,
# including the components' own (their subclasses inherit it).
for _schema_class in (
    PortSpec,
    HealthcheckSpec,
    ContainerSpec,
    UserDefinedNetworkArgs,
    AttachmentConfig,
    DnsGroupConfig,
    JoinedGroupConfig,
    TopologyConfig,
):
    setattr(_schema_class, "__pydantic_config__", pydantic.ConfigDict(extra="forbid"))  # noqa: B010
