"""Pulumi components for the three ways Docker containers talk, and the applications that
use all three at once.

1. By IP: a static address on a `UserDefinedNetwork` with a configured subnet
   (`StaticIpContainer`, or any service's attachment).
2. By name: services on one user-defined network resolve each other through Docker's embedded
   DNS server (`DnsGroup`; names never resolve on the default bridge).
3. Joined: sidecars started with `--network container:<owner>` share the owner's interfaces,
   address and MAC and reach its services on 127.0.0.1 (`JoinedGroup`, or a service's
   `sidecars`).

A `Service` is one container on any number of networks with its sidecars; an `Application`
is a graph of services started in `depends_on` order. The seed's three patterns are views
over the same service model. On a Docker Swarm, a `SwarmApplication` runs services on
`OverlayNetwork`s (by name; no static addresses, no joined namespaces), while joined groups
stay plain containers on an attachable overlay. Installed, this package is `container_comms`.
"""

from .addressing import AUTO, AddressPool
from .application import Application, ApplicationArgs
from .attachment import Attachment, NetworkRef
from .checking import CONFIG as _CONFIG
from .container import (
    ConfigSpec,
    ContainerSpec,
    DeviceRequestSpec,
    DeviceSpec,
    HealthcheckSpec,
    LoggingSpec,
    MountSpec,
    PortSpec,
    SecretSpec,
    UlimitSpec,
)
from .dns_group import DnsGroup, DnsGroupArgs, DnsMember
from .images import BuildSpec, ImageSet, ImageSetArgs
from .joined_group import JoinedGroup, JoinedGroupArgs, Owner
from .network import UserDefinedNetwork, UserDefinedNetworkArgs
from .overlay import OverlayNetwork, OverlayNetworkArgs
from .problems import ComponentError, ContainerCommsError, Problem
from .service import Service, ServiceArgs, ServiceSpec, Sidecar
from .services.graph import Condition
from .static_ip import StaticIpContainer, StaticIpContainerArgs
from .swarm import (
    Deploy,
    EndpointMode,
    Resources,
    RestartPolicy,
    SwarmApplication,
    SwarmApplicationArgs,
    SwarmServiceSpec,
    UpdatePolicy,
)
from .vocabulary import MONITOR_CAPABILITIES
from .volume import NamedVolume, NamedVolumeArgs

__all__ = [
    "AUTO",
    "MONITOR_CAPABILITIES",
    "AddressPool",
    "Application",
    "ApplicationArgs",
    "Attachment",
    "BuildSpec",
    "ComponentError",
    "Condition",
    "ConfigSpec",
    "ContainerCommsError",
    "ContainerSpec",
    "Deploy",
    "DeviceRequestSpec",
    "DeviceSpec",
    "DnsGroup",
    "DnsGroupArgs",
    "DnsMember",
    "EndpointMode",
    "HealthcheckSpec",
    "ImageSet",
    "ImageSetArgs",
    "JoinedGroup",
    "JoinedGroupArgs",
    "LoggingSpec",
    "MountSpec",
    "NamedVolume",
    "NamedVolumeArgs",
    "NetworkRef",
    "OverlayNetwork",
    "OverlayNetworkArgs",
    "Owner",
    "PortSpec",
    "Problem",
    "Resources",
    "RestartPolicy",
    "SecretSpec",
    "Service",
    "ServiceArgs",
    "ServiceSpec",
    "Sidecar",
    "StaticIpContainer",
    "StaticIpContainerArgs",
    "SwarmApplication",
    "SwarmApplicationArgs",
    "SwarmServiceSpec",
    "UlimitSpec",
    "UpdatePolicy",
    "UserDefinedNetwork",
    "UserDefinedNetworkArgs",
]

# Every argument dataclass is checked by the same rules (unknown keys refused, resources and
# Outputs by type, instances revalidated): subclasses inherit the setting.
for _args_class in (
    PortSpec,
    HealthcheckSpec,
    MountSpec,
    SecretSpec,
    ConfigSpec,
    DeviceSpec,
    DeviceRequestSpec,
    UlimitSpec,
    LoggingSpec,
    BuildSpec,
    ContainerSpec,
    Attachment,
    UserDefinedNetworkArgs,
    OverlayNetworkArgs,
    NamedVolumeArgs,
    ImageSetArgs,
    DnsGroupArgs,
    JoinedGroupArgs,
    StaticIpContainerArgs,
    ServiceArgs,
    ApplicationArgs,
    UpdatePolicy,
    Resources,
    RestartPolicy,
    Deploy,
    SwarmApplicationArgs,
):
    setattr(_args_class, "__pydantic_config__", _CONFIG)  # noqa: B010
