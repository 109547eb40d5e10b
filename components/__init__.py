"""Pulumi components for the three ways Docker containers talk.

1. By IP: `StaticIpContainer` on a `UserDefinedNetwork` with a configured subnet.
2. By name: `DnsGroup`, members of one user-defined network resolving each other through
   Docker's embedded DNS server (names never resolve on the default bridge).
3. Joined: `JoinedGroup`, sidecars started with `--network container:<owner>` that share the
   owner's interfaces, address and MAC and reach its services on 127.0.0.1.
"""

from components.addressing import AUTO, AddressPool
from components.attachment import Attachment, NetworkRef
from components.container import (
    MONITOR_CAPABILITIES,
    ContainerSpec,
    HealthcheckSpec,
    PortSpec,
)
from components.dns_group import DnsGroup, DnsGroupArgs, DnsMember
from components.images import ImageSet, ImageSetArgs
from components.joined_group import JoinedGroup, JoinedGroupArgs, Owner, Sidecar
from components.network import UserDefinedNetwork, UserDefinedNetworkArgs
from components.problems import ComponentError, Problem
from components.static_ip import StaticIpContainer, StaticIpContainerArgs

__all__ = [
    "AUTO",
    "MONITOR_CAPABILITIES",
    "AddressPool",
    "Attachment",
    "ComponentError",
    "ContainerSpec",
    "DnsGroup",
    "DnsGroupArgs",
    "DnsMember",
    "HealthcheckSpec",
    "ImageSet",
    "ImageSetArgs",
    "JoinedGroup",
    "JoinedGroupArgs",
    "NetworkRef",
    "Owner",
    "PortSpec",
    "Problem",
    "Sidecar",
    "StaticIpContainer",
    "StaticIpContainerArgs",
    "UserDefinedNetwork",
    "UserDefinedNetworkArgs",
]
