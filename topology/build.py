"""Validated topology -> components, and the outputs the stack exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components import (
    DnsGroup,
    ImageSet,
    ImageSetArgs,
    JoinedGroup,
    NetworkRef,
    StaticIpContainer,
    UserDefinedNetwork,
)
from topology.args import dns_group_args, joined_group_args, static_args
from topology.schema import TopologyConfig


@dataclass
class Deployment:
    """The components of one topology."""

    images: ImageSet
    """The images every container runs, each pulled once."""
    networks: dict[str, UserDefinedNetwork] = field(default_factory=dict)
    """Networks by config key."""
    dns_groups: dict[str, DnsGroup] = field(default_factory=dict)
    """DNS groups by name."""
    joined_groups: dict[str, JoinedGroup] = field(default_factory=dict)
    """Joined groups by name."""
    containers: dict[str, StaticIpContainer] = field(default_factory=dict)
    """Static-address containers by name."""

    def exports(self) -> dict[str, Any]:
        """What other stacks consume: networks, DNS names, loopback endpoints, addresses."""
        static: dict[str, dict[str, str]] = {}
        for dns in self.dns_groups.values():
            static.setdefault(dns.network_name, {}).update(dns.addresses)
        for joined in self.joined_groups.values():
            for network, address in joined.owner_addresses.items():
                static.setdefault(network, {})[joined.owner_name] = address
        for container in self.containers.values():
            static.setdefault(container.network_name, {})[container.container_name] = (
                container.ip_address
            )
        return {
            "networks": {
                key: {
                    "name": net.network_name,
                    "subnet": net.subnet,
                    "gateway": net.gateway,
                    "internal": net.internal,
                }
                for key, net in self.networks.items()
            },
            "dnsNames": {name: group.dns_names for name, group in self.dns_groups.items()},
            "loopbackEndpoints": {
                name: group.loopback_endpoints for name, group in self.joined_groups.items()
            },
            "staticAddresses": static,
        }


def build_topology(config: TopologyConfig) -> Deployment:
    """Register the components of a topology that `load_topology` validated."""
    deployment = Deployment(images=ImageSet("images", ImageSetArgs(pull=config.pull_images)))
    for key, args in config.networks.items():
        deployment.networks[key] = UserDefinedNetwork(key, args)

    def network(key: str) -> NetworkRef:
        return deployment.networks.get(key, key)

    images = deployment.images
    for name, dns in config.dns_groups.items():
        deployment.dns_groups[name] = DnsGroup(name, dns_group_args(dns, network, images))
    for name, joined in config.joined_groups.items():
        deployment.joined_groups[name] = JoinedGroup(
            name, joined_group_args(joined, network, images)
        )
    for name, static in config.containers.items():
        deployment.containers[name] = StaticIpContainer(name, static_args(static, network, images))
    return deployment
