"""One descriptor per kind of container entry in the `topology` value.

A kind (`dns_groups`, `joined_groups`, `containers`, `services`) says, in one place, where its
containers, names, network references and static addresses are written (with their config
paths), how its specs are rewritten, what the stack's target (one engine or a swarm) allows of
it, which component checks it, and which component builds it. The loader and the builder only
loop over `KINDS`: adding a kind, or a key to one, is a change here and in `schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from ..checking import replaced, vouched
from ..dns_group import DnsGroup, dns_group_problems
from ..images import ImageSet
from ..joined_group import JoinedGroup, joined_group_problems, sidecar_option_problem
from ..problems import Location, Problem
from ..services.graph import child_name
from ..static_ip import StaticIpContainer, static_problems
from ..vocabulary import (
    APPLICATION_TYPE,
    DNS_GROUP_TYPE,
    JOINED_GROUP_TYPE,
    STATIC_IP_CONTAINER_TYPE,
)
from .args import (
    NetworkLookup,
    SpecMap,
    dns_group_args,
    joined_group_args,
    static_args,
)
from .schema import (
    DnsGroupConfig,
    JoinedGroupConfig,
    ServiceConfig,
    SidecarConfig,
    StaticContainerConfig,
    TopologyConfig,
)
from .targets import target_of

ROOT = "topology"
V = TypeVar("V")


@dataclass(frozen=True)
class Member:
    """One container as the config writes it."""

    path: Location
    """The config path of its entry."""
    name_path: Location
    """The config path that gives its name."""
    name: str
    """Its container name."""
    resource: str
    """Its resource name, unique with its component type in a stack's URNs."""


@dataclass(frozen=True)
class Placement:
    """One attachment of one container to a network, as the config writes it."""

    path: Location
    """The config path of the attachment: its addresses are `<path>.ipv4_address` and
    `<path>.ipv6_address`."""
    network_path: Location
    """The config path where the network's key is written."""
    network: str
    """The network's key."""
    holder: str
    """Who holds the addresses (`container "bbox1"`)."""
    ipv4_address: str | None
    """The static IPv4 address as written (`auto` included), if any."""
    ipv6_address: str | None
    """The static IPv6 address, if any."""


Addresses = Mapping[Location, str]
"""Resolved IPv4 addresses by attachment config path."""


class Kind(Generic[V]):
    """A section of the `topology` value whose entries are containers of one pattern."""

    key: ClassVar[str]
    """The section's key in the `topology` value."""
    component: ClassVar[str]
    """The type token of the component each entry (or the whole section) becomes."""

    def section(self, config: TopologyConfig) -> dict[str, V]:
        """The section's entries."""
        section: dict[str, V] = getattr(config, self.key)
        return section

    def at(self, name: str) -> Location:
        """The config path of one entry."""
        return (ROOT, self.key, name)

    def members(self, name: str, value: V, config: TopologyConfig) -> list[Member]:
        """The containers of one entry."""
        raise NotImplementedError

    def placements(self, name: str, value: V) -> list[Placement]:
        """The network attachments of one entry."""
        raise NotImplementedError

    def with_addresses(self, name: str, value: V, addresses: Addresses) -> V:
        """One entry with its IPv4 addresses replaced by `addresses` where they name one."""
        raise NotImplementedError

    def with_specs(self, name: str, value: V, spec: SpecMap[Any]) -> V:
        """One entry with every container spec passed through `spec`."""
        raise NotImplementedError

    def on_engine(self, config: TopologyConfig) -> bool:
        """Whether the entries are containers of the engine the stack deploys through (on a
        swarm, its manager), rather than services the swarm schedules."""
        return True

    def target_problems(self, config: TopologyConfig) -> list[Problem]:
        """What the stack's target refuses of the section's entries, at config paths."""
        return []

    def problems(self, config: TopologyConfig, network: NetworkLookup) -> list[Problem]:
        """The components' own checks of the whole section, at config paths."""
        raise NotImplementedError

    def build(
        self, config: TopologyConfig, network: NetworkLookup, images: ImageSet
    ) -> dict[str, pulumi.ComponentResource]:
        """The components of the whole section, by entry (or section) name."""
        raise NotImplementedError


def _address(addresses: Addresses, path: Location, current: str | None) -> str | None:
    return addresses.get(path, current) if current is not None else None


def _holder(name: str) -> str:
    return f'container "{name}"'


class DnsGroups(Kind[DnsGroupConfig]):
    """`dns_groups`: members of one network that resolve each other by name."""

    key = "dns_groups"
    component = DNS_GROUP_TYPE

    def members(self, name: str, value: DnsGroupConfig, config: TopologyConfig) -> list[Member]:
        at = self.at(name)
        return [
            Member((*at, "members", m), (*at, "members", m), m, child_name(name, m))
            for m in value.members
        ]

    def placements(self, name: str, value: DnsGroupConfig) -> list[Placement]:
        at = self.at(name)
        return [
            Placement(
                (*at, "members", m),
                (*at, "network"),
                value.network,
                _holder(m),
                spec.ipv4_address,
                spec.ipv6_address,
            )
            for m, spec in value.members.items()
        ]

    def with_addresses(
        self, name: str, value: DnsGroupConfig, addresses: Addresses
    ) -> DnsGroupConfig:
        at = self.at(name)
        members = {
            m: replaced(
                spec,
                ipv4_address=_address(addresses, (*at, "members", m), spec.ipv4_address),
            )
            for m, spec in value.members.items()
        }
        return replaced(value, members=members)

    def with_specs(self, name: str, value: DnsGroupConfig, spec: SpecMap[Any]) -> DnsGroupConfig:
        at = self.at(name)
        members = {m: spec((*at, "members", m), s) for m, s in value.members.items()}
        return replaced(value, members=members)

    def problems(self, config: TopologyConfig, network: NetworkLookup) -> list[Problem]:
        return [
            p.under(*self.at(g))
            for g, dns in config.dns_groups.items()
            for p in dns_group_problems(dns_group_args(dns, network))
        ]

    def build(
        self, config: TopologyConfig, network: NetworkLookup, images: ImageSet
    ) -> dict[str, pulumi.ComponentResource]:
        return {
            g: DnsGroup(g, vouched(dns_group_args(dns, network, images)))
            for g, dns in config.dns_groups.items()
        }


class JoinedGroups(Kind[JoinedGroupConfig]):
    """`joined_groups`: an owner and the sidecars that share its network namespace."""

    key = "joined_groups"
    component = JOINED_GROUP_TYPE

    def members(self, name: str, value: JoinedGroupConfig, config: TopologyConfig) -> list[Member]:
        at = self.at(name)
        owner = value.owner.name
        found = [Member((*at, "owner"), (*at, "owner", "name"), owner, child_name(name, owner))]
        found += [
            Member((*at, "sidecars", s), (*at, "sidecars", s), s, child_name(name, s))
            for s in value.sidecars
        ]
        return found

    def placements(self, name: str, value: JoinedGroupConfig) -> list[Placement]:
        at = self.at(name)
        return [
            Placement(
                (*at, "owner", "networks", i),
                (*at, "owner", "networks", i, "network"),
                a.network,
                _holder(value.owner.name),
                a.ipv4_address,
                a.ipv6_address,
            )
            for i, a in enumerate(value.owner.networks)
        ]

    def with_addresses(
        self, name: str, value: JoinedGroupConfig, addresses: Addresses
    ) -> JoinedGroupConfig:
        at = self.at(name)
        networks = tuple(
            replaced(
                a,
                ipv4_address=_address(addresses, (*at, "owner", "networks", i), a.ipv4_address),
            )
            for i, a in enumerate(value.owner.networks)
        )
        return replaced(value, owner=replaced(value.owner, networks=networks))

    def with_specs(
        self, name: str, value: JoinedGroupConfig, spec: SpecMap[Any]
    ) -> JoinedGroupConfig:
        at = self.at(name)
        return replaced(
            value,
            owner=spec((*at, "owner"), value.owner),
            sidecars={s: spec((*at, "sidecars", s), c) for s, c in value.sidecars.items()},
        )

    def problems(self, config: TopologyConfig, network: NetworkLookup) -> list[Problem]:
        problems = []
        for group, joined in config.joined_groups.items():
            at = self.at(group)
            found = joined_group_problems(joined_group_args(joined, network))
            problems += [_owner_name_at(p).under(*at) for p in found]
            problems += _sidecar_networking(at, joined.owner.name, joined.sidecars)
        return problems

    def build(
        self, config: TopologyConfig, network: NetworkLookup, images: ImageSet
    ) -> dict[str, pulumi.ComponentResource]:
        return {
            g: JoinedGroup(g, vouched(joined_group_args(joined, network, images)))
            for g, joined in config.joined_groups.items()
        }


class StaticContainers(Kind[StaticContainerConfig]):
    """`containers`: one container each, at a fixed address."""

    key = "containers"
    component = STATIC_IP_CONTAINER_TYPE

    def members(
        self, name: str, value: StaticContainerConfig, config: TopologyConfig
    ) -> list[Member]:
        at = self.at(name)
        return [Member(at, at, name, child_name(name, name))]

    def placements(self, name: str, value: StaticContainerConfig) -> list[Placement]:
        at = self.at(name)
        return [
            Placement(at, (*at, "network"), value.network, _holder(name), value.ipv4_address, None)
        ]

    def with_addresses(
        self, name: str, value: StaticContainerConfig, addresses: Addresses
    ) -> StaticContainerConfig:
        address = _address(addresses, self.at(name), value.ipv4_address)
        return replaced(value, ipv4_address=address or value.ipv4_address)

    def with_specs(
        self, name: str, value: StaticContainerConfig, spec: SpecMap[Any]
    ) -> StaticContainerConfig:
        result: StaticContainerConfig = spec(self.at(name), value)
        return result

    def problems(self, config: TopologyConfig, network: NetworkLookup) -> list[Problem]:
        problems = []
        for name, static in config.containers.items():
            for problem in static_problems(name, static_args(static, network)):
                named = problem.path == ("container_name",)  # the entry's key names it
                problems.append((problem.at_path(()) if named else problem).under(*self.at(name)))
        return problems

    def build(
        self, config: TopologyConfig, network: NetworkLookup, images: ImageSet
    ) -> dict[str, pulumi.ComponentResource]:
        return {
            name: StaticIpContainer(name, vouched(static_args(static, network, images)))
            for name, static in config.containers.items()
        }


class Services(Kind[ServiceConfig]):
    """`services`: containers on any number of networks with sidecars, one `Application`; on
    a swarm (`target: swarm`), services the swarm schedules on overlay networks, one
    `SwarmApplication`."""

    key = "services"
    component = APPLICATION_TYPE

    def members(self, name: str, value: ServiceConfig, config: TopologyConfig) -> list[Member]:
        at = self.at(name)
        container = value.container_name or name
        app = config.application
        found = [
            Member(
                at,
                (*at, "container_name") if value.container_name else at,
                container,
                child_name(app, container),
            )
        ]
        found += [
            Member((*at, "sidecars", s), (*at, "sidecars", s), s, child_name(app, s))
            for s in value.sidecars
        ]
        return found

    def placements(self, name: str, value: ServiceConfig) -> list[Placement]:
        at = self.at(name)
        holder = _holder(value.container_name or name)
        return [
            Placement(
                (*at, "networks", net),
                (*at, "networks", net),
                net,
                holder,
                a.ipv4_address if a is not None else None,
                a.ipv6_address if a is not None else None,
            )
            for net, a in value.networks.items()
        ]

    def with_addresses(
        self, name: str, value: ServiceConfig, addresses: Addresses
    ) -> ServiceConfig:
        at = self.at(name)
        networks = {
            net: a
            if a is None
            else replaced(
                a, ipv4_address=_address(addresses, (*at, "networks", net), a.ipv4_address)
            )
            for net, a in value.networks.items()
        }
        return replaced(value, networks=networks)

    def with_specs(self, name: str, value: ServiceConfig, spec: SpecMap[Any]) -> ServiceConfig:
        at = self.at(name)
        sidecars = {s: spec((*at, "sidecars", s), c) for s, c in value.sidecars.items()}
        result: ServiceConfig = replaced(spec(at, value), sidecars=sidecars)
        return result

    def on_engine(self, config: TopologyConfig) -> bool:
        return target_of(config).services_on_engine

    def target_problems(self, config: TopologyConfig) -> list[Problem]:
        target = target_of(config)
        return [
            problem
            for key, service in config.services.items()
            for problem in target.service_problems(config, self.at(key), service)
        ]

    def problems(self, config: TopologyConfig, network: NetworkLookup) -> list[Problem]:
        if not config.services:
            return []
        target = target_of(config)
        problems: list[Problem] = []
        if target.services_on_engine:
            for key, service in config.services.items():
                owner = service.container_name or key
                problems += _sidecar_networking(self.at(key), owner, service.sidecars)
        specs = {key: target.spec(key, s, network) for key, s in config.services.items()}
        found, _order = target.graph_problems(specs, config.application)
        problems += [_service_field(p, config).under(ROOT) for p in found]
        return problems

    def build(
        self, config: TopologyConfig, network: NetworkLookup, images: ImageSet
    ) -> dict[str, pulumi.ComponentResource]:
        if not config.services:
            return {}
        target = target_of(config)
        specs = {key: target.spec(key, s, network) for key, s in config.services.items()}
        return {config.application: target.application(config.application, specs, images)}


KINDS: tuple[Kind[Any], ...] = (DnsGroups(), JoinedGroups(), StaticContainers(), Services())
"""Every kind of container entry, in the order the loader reports and the builder builds."""


def replace_specs(config: TopologyConfig, spec: SpecMap[Any]) -> TopologyConfig:
    """`config` with every container's spec passed through `spec`."""
    changes: dict[str, Any] = {
        kind.key: {n: kind.with_specs(n, v, spec) for n, v in kind.section(config).items()}
        for kind in KINDS
    }
    return replaced(config, **changes)


def with_addresses(config: TopologyConfig, addresses: Addresses) -> TopologyConfig:
    """`config` with every static IPv4 address that `addresses` resolves replaced."""
    changes: dict[str, Any] = {
        kind.key: {n: kind.with_addresses(n, v, addresses) for n, v in kind.section(config).items()}
        for kind in KINDS
    }
    return replaced(config, **changes)


def members(config: TopologyConfig) -> list[tuple[Kind[Any], Member]]:
    """Every container, with its kind, in config order."""
    return [
        (kind, member)
        for kind in KINDS
        for name, value in kind.section(config).items()
        for member in kind.members(name, value, config)
    ]


def placements(config: TopologyConfig, *, engine_only: bool = False) -> list[Placement]:
    """Every network attachment, in config order; with `engine_only`, only those of containers
    the engine runs (not a swarm's services)."""
    return [
        placement
        for kind in KINDS
        if not engine_only or kind.on_engine(config)
        for name, value in kind.section(config).items()
        for placement in kind.placements(name, value)
    ]


def container_specs(
    config: TopologyConfig, *, engine_only: bool = False
) -> list[tuple[Location, Any]]:
    """(config path, spec) of every container, in config order; with `engine_only`, only the
    containers the engine runs (a swarm's services are scheduled, and publish, by the swarm)."""
    found: list[tuple[Location, Any]] = []

    def collect(path: Location, value: Any) -> Any:
        found.append((path, value))
        return value

    for kind in KINDS:
        if not engine_only or kind.on_engine(config):
            for name, value in kind.section(config).items():
                kind.with_specs(name, value, collect)
    return found


def _sidecar_networking(
    at: Location, owner: str, sidecars: Mapping[str, SidecarConfig]
) -> list[Problem]:
    """The networking keys a sidecar's config may hold only to be refused."""
    return [
        sidecar_option_problem(option, owner).under(*at, "sidecars", name)
        for name, sidecar in sidecars.items()
        for option in ("aliases", "networks", "ipv4_address")
        if getattr(sidecar, option)
    ]


def _service_field(problem: Problem, config: TopologyConfig) -> Problem:
    """`services.web.networks[1].aliases[0]` -> `services.web.networks.back.aliases[0]`; a
    swarm service's `service_name` is the config's `container_name`."""
    path = problem.path
    if len(path) < 3 or path[0] != "services" or path[1] not in config.services:
        return problem
    if path[2:] == ("service_name",):
        return problem.at_path((*path[:2], "container_name"))
    if path[2] == "networks" and len(path) > 3 and isinstance(path[3], int):
        keys = list(config.services[str(path[1])].networks)
        return problem.at_path((*path[:3], keys[path[3]], *path[4:]))
    return problem


def _owner_name_at(problem: Problem) -> Problem:
    """A joined group's `owner_name` argument is the config's `owner.name` key."""
    if problem.path == ("owner_name",):
        return problem.at_path(("owner", "name"))
    return problem
