"""One pass over a stack's resources: the index every stack-level rule reads.

Building it is linear in the number of resources, and every lookup the rules make is a
dictionary lookup, so no stack rule compares all containers pairwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from ._props import (
    CONTAINER,
    NETWORK,
    PREDEFINED_NETWORKS,
    REMOTE_IMAGE,
    SECRET,
    SERVICE,
    UNKNOWN,
    ContainerView,
    Unknown,
    container_view,
    flag,
    is_unknown,
    items,
    parse_network,
    record,
    text,
    unwrap,
)
from .vocabulary import driver_row

Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Ipam:
    """One `ipamConfigs` entry of a network."""

    subnet_text: str | Unknown | None
    """The subnet as written."""
    subnet: Subnet | None
    """The parsed subnet (None when absent, unknown or not a CIDR)."""
    gateway: str | Unknown | None
    """The gateway as written."""
    ip_range_text: str | Unknown | None
    """The ip range as written."""
    ip_range: Subnet | None
    """The parsed ip range."""
    aux: dict[str, str | Unknown] = field(default_factory=dict)
    """The aux addresses as written, by name."""
    aux_unknown: bool = False
    """Whether the aux address map itself is unknown."""


@dataclass(frozen=True)
class NetworkEntry:
    """A network of the stack."""

    urn: str
    """The resource's URN."""
    resource_name: str
    """The resource's logical name."""
    name: str | Unknown | None
    """The Docker network name."""
    ipams: list[Ipam]
    """Its IPAM configs."""
    ipams_unknown: bool
    """Whether the IPAM config list is unknown."""
    internal: bool | Unknown | None
    """The internal flag."""
    ipv6: bool | Unknown | None = None
    """The ipv6 flag (the engine ignores IPv6 subnets and addresses unless it is true)."""
    driver: str | Unknown | None = None
    """The driver; None when unset (the provider's default, `bridge`)."""
    attachable: bool | Unknown | None = None
    """The attachable flag (overlay networks)."""
    ident: str | Unknown | None = None
    """The network's id on the engine, when the props carry it (outputs at update time)."""

    @property
    def label(self) -> str:
        """How messages name the network."""
        return self.name if isinstance(self.name, str) else self.resource_name

    @property
    def is_overlay(self) -> bool | Unknown:
        """Whether it is a swarm-scoped network (an overlay): its driver's row in
        `NETWORK_DRIVERS` says so; a driver the table does not know is one engine's."""
        if isinstance(self.driver, Unknown):
            return self.driver
        row = driver_row(self.driver)
        return row is not None and row.swarm_scoped


@dataclass(frozen=True)
class ServiceEntry:
    """A swarm service of the stack."""

    urn: str
    """The resource's URN."""
    resource_name: str
    """The resource's logical name."""
    props: dict[str, Any]
    """Its props, one level deep (read them with the `_props` accessors)."""
    task_spec_dependencies: frozenset[str] = field(default_factory=frozenset)
    """URNs its `taskSpec` was built from (its networks, secrets and configs, by id)."""

    @property
    def label(self) -> str:
        """How messages name the service: its service name, else its resource name."""
        name = text(self.props, "name")
        return name if isinstance(name, str) else self.resource_name


@dataclass(frozen=True)
class ContainerEntry:
    """A container of the stack."""

    urn: str
    """The resource's URN."""
    resource_name: str
    """The resource's logical name."""
    props: dict[str, Any]
    """Its props, one level deep (read them with the `_props` accessors)."""
    view: ContainerView
    """The networking view of its props."""
    dependencies: frozenset[str] = field(default_factory=frozenset)
    """URNs it depends on, directly or through a property."""
    image_sources: tuple[str, ...] = ()
    """URNs its `image` input came from (the `RemoteImage` whose id it is)."""


def _dependency_urns(resource: PolicyResource) -> frozenset[str]:
    urns = {d.urn for d in resource.dependencies or []}
    for deps in (resource.property_dependencies or {}).values():
        urns.update(d.urn for d in deps)
    return frozenset(urns)


def ipam_entry(entry: Any) -> Ipam:
    """One `ipamConfigs` entry, read."""
    subnet_text = text(entry, "subnet")
    ip_range_text = text(entry, "ipRange")
    aux = record(entry, "auxAddress")
    return Ipam(
        subnet_text=subnet_text,
        subnet=parse_network(subnet_text) if isinstance(subnet_text, str) else None,
        gateway=text(entry, "gateway"),
        ip_range_text=ip_range_text,
        ip_range=parse_network(ip_range_text) if isinstance(ip_range_text, str) else None,
        aux={}
        if isinstance(aux, Unknown)
        else {
            str(k): UNKNOWN if is_unknown(v) else v
            for k, v in aux.items()
            if isinstance(v, str) and v != ""
        },
        aux_unknown=isinstance(aux, Unknown),
    )


class StackIndex:
    """The stack's containers and networks, indexed once, in URN order.

    URN order makes every stack rule's report the same for the same stack, whatever order
    the program happened to register its resources in.
    """

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.containers: list[ContainerEntry] = []
        self.networks: list[NetworkEntry] = []
        self.containers_by_name: dict[str, list[ContainerEntry]] = {}
        self.containers_by_urn: dict[str, ContainerEntry] = {}
        self.networks_by_name: dict[str, NetworkEntry] = {}
        self.networks_by_urn: dict[str, NetworkEntry] = {}
        self.services: list[ServiceEntry] = []
        self.secrets: list[tuple[str, dict[str, Any]]] = []
        self.image_names: dict[str, str] = {}
        """The image name of each `RemoteImage`, by URN."""
        for resource in sorted(resources, key=lambda r: str(r.urn)):
            kind = resource.resource_type
            if kind not in (CONTAINER, NETWORK, REMOTE_IMAGE, SERVICE, SECRET):
                continue
            props = unwrap(resource.props)
            if not isinstance(props, dict):
                props = {}
            if kind == CONTAINER:
                self._add_container(resource, props)
            elif kind == NETWORK:
                self._add_network(resource, props)
            elif kind == SERVICE:
                deps = (resource.property_dependencies or {}).get("taskSpec") or []
                self.services.append(
                    ServiceEntry(
                        urn=resource.urn,
                        resource_name=resource.name,
                        props=props,
                        task_spec_dependencies=frozenset(d.urn for d in deps),
                    )
                )
            elif kind == SECRET:
                self.secrets.append((resource.urn, props))
            elif isinstance(image := text(props, "name"), str):
                self.image_names[resource.urn] = image

    def _add_container(self, resource: PolicyResource, props: dict[str, Any]) -> None:
        entry = ContainerEntry(
            urn=resource.urn,
            resource_name=resource.name,
            props=props,
            view=container_view(props, resource.name),
            dependencies=_dependency_urns(resource),
            image_sources=tuple(
                d.urn for d in (resource.property_dependencies or {}).get("image") or []
            ),
        )
        self.containers.append(entry)
        self.containers_by_urn[entry.urn] = entry
        if isinstance(entry.view.name, str):
            self.containers_by_name.setdefault(entry.view.name, []).append(entry)

    def _add_network(self, resource: PolicyResource, props: dict[str, Any]) -> None:
        configs = items(props, "ipamConfigs")
        entry = NetworkEntry(
            urn=resource.urn,
            resource_name=resource.name,
            name=text(props, "name"),
            ipams=[] if isinstance(configs, Unknown) else [ipam_entry(c) for c in configs],
            ipams_unknown=isinstance(configs, Unknown),
            internal=flag(props, "internal"),
            ipv6=flag(props, "ipv6"),
            driver=text(props, "driver"),
            attachable=flag(props, "attachable"),
            ident=text(props, "id"),
        )
        self.networks.append(entry)
        self.networks_by_urn[entry.urn] = entry
        if isinstance(entry.name, str):
            self.networks_by_name.setdefault(entry.name, entry)

    def container_named(self, target: str) -> ContainerEntry | None:
        """The container a `container:<target>` mode names: by name, else by (short) id."""
        found = self.containers_by_name.get(target)
        if found:
            return found[0]
        if len(target) >= 12:
            for entry in self._by_id():
                if entry[0].startswith(target):
                    return entry[1]
        return None

    def _by_id(self) -> list[tuple[str, ContainerEntry]]:
        cached: list[tuple[str, ContainerEntry]] | None = getattr(self, "_ids", None)
        if cached is None:
            cached = [
                (value, c)
                for c in self.containers
                if isinstance(value := c.props.get("id"), str) and value
            ]
            self._ids = cached
        return cached

    def image_of(self, entry: ContainerEntry) -> str | Unknown | None:
        """A container's image name: its `image` input, or, when that is the id of a
        `RemoteImage` of the stack (unknown at preview), that image's name."""
        image = text(entry.props, "image")
        if isinstance(image, Unknown):
            names = {self.image_names[u] for u in entry.image_sources if u in self.image_names}
            if len(names) == 1:
                return names.pop()
        return image

    def own_networks(self, entry: ContainerEntry) -> set[str] | Unknown:
        """The networks a container attaches to itself (not through a joined namespace)."""
        view = entry.view
        if view.attachments_unknown or any(
            isinstance(a.network, Unknown) for a in view.attachments
        ):
            return UNKNOWN
        names = {a.network for a in view.attachments if isinstance(a.network, str)}
        mode = view.network_mode
        if isinstance(mode, Unknown):
            # The provider attaches networksAdvanced whatever the mode; without them, the mode
            # alone decides and it is not known yet.
            return names if names else UNKNOWN
        if mode is not None and mode.startswith("container:"):
            return set()
        if mode in (None, "bridge", "default"):
            if not names:
                names.add("bridge")
        else:
            names.add(mode)
        return names

    def effective_networks(self, entry: ContainerEntry) -> set[str] | Unknown:
        """The networks whose DNS a container uses: its own, or those of the one it joins."""
        seen: set[str] = set()
        current = entry
        while True:
            target = current.view.join_target
            if target is None:
                return self.own_networks(current)
            if isinstance(target, Unknown):
                return UNKNOWN
            owner = self.container_named(target)
            if owner is None or owner.urn in seen:
                return set()
            seen.add(owner.urn)
            current = owner

    def service_networks(self, service: ServiceEntry) -> list[ServiceNetwork] | Unknown:
        """The networks a service's tasks join.

        An entry given by name is that name (a network of the stack, or another one); an entry
        given by id (the provider's way, unknown at preview) is found through the networks of
        the stack its `taskSpec` was built from. Unknown when they cannot be told apart.
        """
        entries = items(record(service.props, "taskSpec"), "networksAdvanceds")
        if isinstance(entries, Unknown):
            return entries
        found: list[ServiceNetwork] = []
        by_id = 0
        for entry in entries:
            name = text(entry, "name")
            if isinstance(name, Unknown):
                return name
            if name is None:
                ident = text(entry, "id")
                if isinstance(ident, str) and ident in self.networks_by_name:
                    name = ident  # a name given where the provider wants an id
                elif isinstance(ident, str) and (net := self._network_with_id(ident)):
                    found.append(ServiceNetwork(net.label, net))
                    continue
                else:
                    by_id += 1
                    continue
            found.append(ServiceNetwork(name, self.networks_by_name.get(name)))
        if by_id:
            named = {n.network.urn for n in found if n.network is not None}
            built_from = [
                self.networks_by_urn[u]
                for u in sorted(service.task_spec_dependencies)
                if u in self.networks_by_urn and u not in named
            ]
            if len(built_from) != by_id:
                return UNKNOWN
            found += [ServiceNetwork(net.label, net) for net in built_from]
        return found

    def _network_with_id(self, ident: str) -> NetworkEntry | None:
        return next((n for n in self.networks if n.ident == ident), None)


@dataclass(frozen=True)
class ServiceNetwork:
    """One network of a swarm service."""

    name: str
    """The network's name as the service names it (or the stack network's name)."""
    network: NetworkEntry | None
    """The network of the stack it is; None for a network outside the stack."""


def user_defined(networks: Iterable[str]) -> set[str]:
    """The networks that are not predefined (so have the embedded DNS server)."""
    return {n for n in networks if n not in PREDEFINED_NETWORKS}
