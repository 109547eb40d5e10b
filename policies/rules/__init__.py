"""The pack's rules, one module per area; `POLICIES` is every rule, in README order."""

from __future__ import annotations

from pulumi_policy import Policy

from .container import CONTAINER_POLICIES
from .dns import DNS_POLICIES
from .host import HOST_POLICIES
from .hygiene import HYGIENE_POLICIES
from .joined import JOINED_POLICIES
from .mounts import MOUNT_POLICIES
from .network import NETWORK_POLICIES
from .network_values import NETWORK_VALUE_POLICIES
from .process import PROCESS_POLICIES
from .resources import RESOURCE_POLICIES
from .security import SECURITY_POLICIES
from .swarm import SWARM_POLICIES

PACK_NAME = "container-comms"
"""The policy pack's name (as in PulumiPolicy.yaml)."""

POLICIES: list[Policy] = [
    *CONTAINER_POLICIES,
    *MOUNT_POLICIES,
    *RESOURCE_POLICIES,
    *PROCESS_POLICIES,
    *NETWORK_POLICIES,
    *NETWORK_VALUE_POLICIES,
    *JOINED_POLICIES,
    *DNS_POLICIES,
    *SECURITY_POLICIES,
    *HOST_POLICIES,
    *HYGIENE_POLICIES,
    *SWARM_POLICIES,
]
"""Every rule of the pack."""

__all__ = ["PACK_NAME", "POLICIES"]
