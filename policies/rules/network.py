"""The network and addressing rules, one module per concern, assembled in README order.

- `network_subnets`: subnets as a whole (overlaps between networks, allowed ranges);
- `network_ipam`: each network's IPAM config (what the engine refuses, what it ignores);
- `network_names`: network names;
- `network_static_ips`: static addresses (a subnet for them, inside it, held once);
- `network_dynamic_ips`: static addresses the engine may hand out dynamically first;
- `network_ports`: published ports on internal networks.

What a network driver allows (its scope, its address space, its subnets) is read from
`vocabulary.NETWORK_DRIVERS`.
"""

from __future__ import annotations

from .network_dynamic_ips import (
    docker_container_disallow_static_ip_in_ip_range,
    docker_container_disallow_static_ip_taken_dynamically,
)
from .network_ipam import (
    docker_network_disallow_ignored_ip_settings,
    docker_network_enforce_valid_ipam_config,
)
from .network_names import docker_network_disallow_duplicate_name
from .network_ports import docker_container_disallow_ports_on_internal_network
from .network_static_ips import (
    docker_container_enforce_static_ip_in_subnet,
    docker_container_require_subnet_for_static_ip,
)
from .network_subnets import (
    docker_network_disallow_overlapping_subnets,
    docker_network_enforce_allowed_subnets,
)

NETWORK_POLICIES = [
    docker_network_disallow_overlapping_subnets,
    docker_network_enforce_allowed_subnets,
    docker_network_enforce_valid_ipam_config,
    docker_network_disallow_duplicate_name,
    docker_network_disallow_ignored_ip_settings,
    docker_container_require_subnet_for_static_ip,
    docker_container_enforce_static_ip_in_subnet,
    docker_container_disallow_static_ip_taken_dynamically,
    docker_container_disallow_static_ip_in_ip_range,
    docker_container_disallow_ports_on_internal_network,
]
"""The network and addressing rules, in README order."""
