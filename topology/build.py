"""Validated topology -> components, and the outputs the stack exports."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from components import (
    Attachment,
    ContainerSpec,
    DnsGroup,
    DnsGroupArgs,
    ImageSet,
    ImageSetArgs,
    JoinedGroup,
    JoinedGroupArgs,
    NetworkRef,
    Owner,
    Sidecar,
    StaticIpContainer,
    StaticIpContainerArgs,
    UserDefinedNetwork,
)
from topology.schema import SidecarConfig, TopologyConfig


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

    for name, dns in config.dns_groups.items():
        deployment.dns_groups[name] = DnsGroup(
            name,
            DnsGroupArgs(
                network=network(dns.network), members=dns.members, images=deployment.images
            ),
        )
    for name, joined in config.joined_groups.items():
        owner = Owner(
            **_spec_fields(joined.owner),
            networks=tuple(
                Attachment(network(a.network), a.aliases, a.ipv4_address)
                for a in joined.owner.networks
            ),
            loopback_ports=joined.owner.loopback_ports,
        )
        sidecars = {s: _without_refused(spec) for s, spec in joined.sidecars.items()}
        deployment.joined_groups[name] = JoinedGroup(
            name,
            JoinedGroupArgs(
                owner_name=joined.owner.name,
                owner=owner,
                sidecars=sidecars,
                images=deployment.images,
            ),
        )
    for name, static in config.containers.items():
        deployment.containers[name] = StaticIpContainer(
            name,
            StaticIpContainerArgs(
                network=network(static.network),
                container=ContainerSpec(**_spec_fields(static)),
                ipv4_address=static.ipv4_address,
                aliases=static.aliases,
                images=deployment.images,
            ),
        )
    return deployment


def _spec_fields(value: ContainerSpec) -> dict[str, Any]:
    """The `ContainerSpec` fields of a config value that extends it."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(ContainerSpec)}


def _without_refused(sidecar: SidecarConfig) -> Sidecar:
    """A validated sidecar config as the component's `Sidecar` (its refused keys are empty)."""
    return Sidecar(**_spec_fields(sidecar), monitor=sidecar.monitor)
