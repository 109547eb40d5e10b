"""The service: one container on any number of networks, with sidecars joined to it.

Every component builds its containers here. A DNS group is services on one network, a static
container is a service with a fixed address, a joined group is a service with sidecars; an
`Application` is any graph of services, ordered by `depends_on`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from .addressing import AUTO
from .attachment import (
    AttachmentInput,
    attachment_problems,
    attachments,
    images_for,
    network_name,
    resolve,
)
from .checking import Int, Seq
from .container import (
    ContainerSpec,
    Placement,
    Role,
    WireAttachment,
    build_container,
    name_problems,
    port_conflicts,
    spec_problems,
)
from .images import ImageSet
from .naming import is_predefined_network
from .network import UserDefinedNetwork
from .problems import ComponentError, Location, Problem, raise_if_any
from .services.graph import Condition, child_name, network_problems
from .vocabulary import DNS_LABEL_LIMIT, SERVICE_TYPE, NetworkMode

TYPE = SERVICE_TYPE

SIDECAR_REASONS: dict[str, tuple[str, str]] = {
    "ports": ("cannot publish ports", 'publish them on the owner "{owner}"'),
    "hostname": ("has the owner's hostname", 'set hostname on the owner "{owner}"'),
    "dns": ("uses the owner's DNS servers", 'set dns on the owner "{owner}"'),
    "extra_hosts": ("shares the owner's /etc/hosts", 'set extra_hosts on the owner "{owner}"'),
    "aliases": ("has no network aliases of its own", 'give the aliases to the owner "{owner}"'),
    "networks": ("cannot join networks of its own", 'attach the owner "{owner}" to them'),
    "ipv4_address": ("has the owner's address", 'pin the address on the owner "{owner}"'),
}
"""Options a sidecar cannot have: (why, where it belongs). The engine refuses most of them
for a `container:` network mode, and ignores the static address."""


def sidecar_option_problem(option: str, owner_name: str) -> Problem:
    """The problem of a sidecar that sets `option` (a key of `SIDECAR_REASONS`)."""
    why, fix = SIDECAR_REASONS[option]
    return Problem(
        option,
        f"a container sharing another's network namespace {why}; {fix.format(owner=owner_name)}",
    )


@dataclass(frozen=True, kw_only=True)
class Sidecar(ContainerSpec):
    """A container started with network mode `container:<owner>`: it shares the owner's
    interfaces, address and names, and reaches the owner's services on 127.0.0.1."""

    monitor: bool = False
    """The traffic-monitor preset: adds NET_RAW and NET_ADMIN, nothing else."""
    depends_on: Mapping[str, Condition] = field(default_factory=dict)
    """Other services of the application this sidecar waits for (it always waits for its
    owner to run)."""


@dataclass(frozen=True, kw_only=True)
class ServiceSpec(ContainerSpec):
    """One container with its networks, and the sidecars that share its namespace."""

    container_name: str | None = None
    """The container's name on the engine; the service's key when None."""
    networks: Seq[AttachmentInput] = ()
    """The networks it is on, each with aliases and static addresses; the default bridge when
    empty and `network_mode` is None."""
    network_mode: NetworkMode | None = None
    """The default bridge, the host's network stack, or no network; None: `networks`."""
    sidecars: Mapping[str, Sidecar] = field(default_factory=dict)
    """Containers joined to this one's network namespace, by container name."""
    loopback_ports: Seq[Int] = ()
    """Ports it serves on 127.0.0.1 to its sidecars, besides its published ones."""
    depends_on: Mapping[str, Condition] = field(default_factory=dict)
    """Other services of the application it waits for, by key, and for what."""


@dataclass
class BuiltService:
    """The resources and names of one registered service."""

    container_name: str
    """The service's container name."""
    container: docker.Container
    """The service's container."""
    sidecars: dict[str, docker.Container]
    """Its sidecars' containers by name."""
    dns_names: dict[str, list[str]]
    """The names that resolve to it on each network it is on (by network engine name)."""
    addresses: dict[str, str]
    """Its static IPv4 address on each network where it has one."""
    loopback_endpoints: list[str]
    """`127.0.0.1:<port>` for each of its services that sidecars reach."""


ContainerLookup = Callable[[str], docker.Container]
"""The container of another service of the application, by key."""


def service_container_name(key: str, spec: ServiceSpec) -> str:
    """The engine name of a service's container."""
    return spec.container_name or key


def build_service(
    resource_prefix: str,
    key: str,
    spec: ServiceSpec,
    *,
    group: str,
    images: ImageSet,
    parent: pulumi.Resource,
    roles: tuple[Role, Role] = ("service", "sidecar"),
    dependency: ContainerLookup | None = None,
    wait_healthy: bool = False,
    run_to_completion: bool = False,
) -> BuiltService:
    """Register a service's container and its sidecars under `parent`.

    Resources are named `<resource_prefix>-<container name>`. `dependency` finds the
    containers its `depends_on` names (already registered); `wait_healthy` and
    `run_to_completion` say what a dependent of this service waits for.
    """
    name = service_container_name(key, spec)
    holder = f'container "{name}"'
    wires: list[WireAttachment] = []
    needs: list[pulumi.Resource] = []
    for attachment in attachments(spec.networks):
        wire, depends = resolve(attachment, holder)
        wires.append(wire)
        needs += depends
    if dependency is not None:
        needs += [dependency(other) for other in spec.depends_on]
    container = build_container(
        child_name(resource_prefix, name),
        name,
        spec,
        group=group,
        role=roles[0],
        placement=Placement(network_mode=spec.network_mode, attachments=tuple(wires)),
        images=images,
        parent=parent,
        depends_on=needs,
        wait_healthy=wait_healthy,
        run_to_completion=run_to_completion,
    )
    sidecars = {}
    for sidecar_name, sidecar in spec.sidecars.items():
        waits = [dependency(other) for other in sidecar.depends_on] if dependency else []
        sidecars[sidecar_name] = build_container(
            child_name(resource_prefix, sidecar_name),
            sidecar_name,
            sidecar,
            group=group,
            role=roles[1],
            placement=Placement(network_mode=f"container:{name}"),
            images=images,
            parent=parent,
            depends_on=[container, *waits],
            monitor=sidecar.monitor,
        )
    dns_names: dict[str, list[str]] = {}
    addresses: dict[str, str] = {}
    for wire in wires:
        if isinstance(wire.network, str):
            dns_names[wire.network] = [name, *wire.aliases]
            if wire.ipv4_address is not None:
                addresses[wire.network] = wire.ipv4_address
    ports = {*spec.loopback_ports, *(p.internal for p in spec.ports)} if spec.sidecars else set()
    return BuiltService(
        container_name=name,
        container=container,
        sidecars=sidecars,
        dns_names=dns_names,
        addresses=addresses,
        loopback_endpoints=[f"127.0.0.1:{port}" for port in sorted(ports)],
    )


def sidecar_problems(sidecar: ContainerSpec, owner_name: str) -> list[Problem]:
    """The options a sidecar sets that belong to the owner of the namespace."""
    set_options = {
        "ports": bool(sidecar.ports),
        "hostname": sidecar.hostname is not None,
        "dns": bool(sidecar.dns),
        "extra_hosts": bool(sidecar.extra_hosts),
    }
    return [
        sidecar_option_problem(opt, owner_name) for opt, is_set in set_options.items() if is_set
    ]


def service_problems(key: str, spec: ServiceSpec) -> list[Problem]:
    """What the engine would refuse, or silently not do, about one service."""
    name = service_container_name(key, spec)
    problems = name_problems("container_name" if spec.container_name else "", name)
    problems += spec_problems(spec)
    if spec.network_mode is not None and spec.networks:
        problems.append(
            Problem(
                "network_mode",
                f'"{spec.network_mode}" networking and networks exclude each other; '
                "remove one of them",
                "incompatible",
            )
        )
    if spec.network_mode in {"host", "none"} and spec.sidecars:
        problems.append(
            Problem(
                "sidecars",
                f'"{spec.network_mode}" networking has no namespace of its own to share; '
                "give the owner networks",
            )
        )
    resolvable = any(
        not (isinstance(n, str) and is_predefined_network(n))
        for n in (network_name(a.network) for a in attachments(spec.networks))
    )
    if resolvable and len(name) > DNS_LABEL_LIMIT:
        problems.append(
            Problem(
                "container_name" if spec.container_name else "",
                f'"{name}" is longer than a DNS label ({DNS_LABEL_LIMIT} characters), so peers '
                "cannot resolve it; choose a shorter name",
            )
        )
    problems += network_problems(spec.networks, attachment_problems)
    for index, port in enumerate(spec.loopback_ports):
        if not 1 <= port <= 65535:
            problems.append(Problem(("loopback_ports", index), f"{port} is not a port (1-65535)"))
    for sidecar_name, sidecar in spec.sidecars.items():
        at = ("sidecars", sidecar_name)
        problems += name_problems(at, sidecar_name)
        problems += [p.under(*at) for p in spec_problems(sidecar)]
        problems += [p.under(*at) for p in sidecar_problems(sidecar, name)]
        if sidecar_name == name:
            problems.append(
                Problem(at, f'"{sidecar_name}" is the owner\'s name; name the sidecar apart')
            )
    return problems


def duplicate_dns_problems(
    services: Iterable[tuple[Location, str, ServiceSpec]],
) -> list[Problem]:
    """Names claimed by two services (`(field path, key, spec)`) on one network, placed at the
    later claim."""
    claimed: dict[tuple[str, str], str] = {}
    problems = []
    for at, key, spec in services:
        name = service_container_name(key, spec)
        for index, attachment in enumerate(attachments(spec.networks)):
            net = network_name(attachment.network)
            if not isinstance(net, str) or is_predefined_network(net):
                continue
            for alias_index, dns_name in enumerate([name, *attachment.aliases]):
                holder = claimed.setdefault((net, dns_name), name)
                if holder != name:
                    field = (
                        (*at, "networks", index, "aliases", alias_index - 1) if alias_index else at
                    )
                    problems.append(
                        Problem(field, f'"{dns_name}" already resolves to "{holder}" on "{net}"')
                    )
    return problems


def address_problems(services: Iterable[tuple[Location, str, ServiceSpec]]) -> list[Problem]:
    """Reserve the static addresses that services (`(field prefix, key, spec)`) ask of
    `UserDefinedNetwork`s: every explicit address first, then each `auto` one, so the result
    does not depend on the order of the services. Call it before registering anything; the
    problems are placed at `<prefix>.networks[<i>].ipv4_address`, and `build_service` later
    finds the same addresses held for the same containers.
    """
    requests: list[tuple[Location, str, UserDefinedNetwork, str]] = []
    for prefix, key, spec in services:
        holder = f'container "{service_container_name(key, spec)}"'
        for index, attachment in enumerate(attachments(spec.networks)):
            net = attachment.network
            address = attachment.ipv4_address
            if isinstance(net, UserDefinedNetwork) and net.pool is not None and address:
                at = (*prefix, "networks", index, "ipv4_address")
                requests.append((at, holder, net, address))
    problems: list[Problem] = []
    for explicit in (True, False):
        for field_path, holder, net, address in requests:
            if (address != AUTO) != explicit:
                continue
            try:
                net.assign(holder, address)
            except ComponentError as error:
                problems += [p.at_path(field_path) for p in error.problems]
    return problems


@dataclass(frozen=True)
class ServiceArgs:
    """One service on its own."""

    spec: ServiceSpec
    """The service."""
    images: ImageSet | None = None
    """A shared image set; the service pulls its own images when None."""


class Service(pulumi.ComponentResource):
    """One container on any number of networks, with the sidecars joined to it.

    `depends_on` between services needs an `Application`; a lone service waits for other
    resources through `ResourceOptions(depends_on=...)`.
    """

    container_name: str
    """The container's name."""
    dns_names: dict[str, list[str]]
    """The names that resolve to it, per network."""
    addresses: dict[str, str]
    """Its static IPv4 address per network."""
    loopback_endpoints: list[str]
    """`127.0.0.1:<port>` for each of its services that sidecars reach."""
    container: docker.Container
    """The container resource."""
    sidecar_containers: dict[str, docker.Container]
    """The sidecars' container resources, by name."""

    def __init__(
        self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        from .checking import checked

        args = checked(f'service "{name}"', args, ServiceArgs)
        problems = service_problems(name, args.spec)
        problems += port_conflicts([((), args.spec)])
        waits: list[tuple[Location, Mapping[str, Condition]]] = [
            (("depends_on",), args.spec.depends_on)
        ]
        waits += [
            (("sidecars", s, "depends_on"), c.depends_on) for s, c in args.spec.sidecars.items()
        ]
        for field_path, depends in waits:
            if depends:
                problems.append(
                    Problem(
                        field_path,
                        "names other services, which only an Application resolves; use an "
                        "Application, or ResourceOptions(depends_on=[...])",
                    )
                )
        if not problems:
            problems = address_problems([((), name, args.spec)])
        # The name problem is about the component's own name; the others are in `spec`.
        raise_if_any(f'service "{name}"', [p.under("spec") if p.path else p for p in problems])
        super().__init__(TYPE, name, None, opts)
        built = build_service(
            name,
            name,
            args.spec,
            group=name,
            images=images_for(args.images, name, self),
            parent=self,
        )
        self.container_name = built.container_name
        self.dns_names = built.dns_names
        self.addresses = built.addresses
        self.loopback_endpoints = built.loopback_endpoints
        self.container = built.container
        self.sidecar_containers = built.sidecars
        self.register_outputs(
            {
                "containerName": self.container_name,
                "dnsNames": self.dns_names,
                "addresses": self.addresses,
                "loopbackEndpoints": self.loopback_endpoints,
            }
        )
