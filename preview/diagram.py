"""The topology as a Mermaid flowchart, which GitHub renders inside pull requests and issues.

Networks are hexagons with their subnets; containers are boxes with their names, and the link
to each network carries the aliases and static address used there; a container that joins
another's network namespace has a dotted loopback link to its owner; swarm services are rounded
boxes with their replicas and endpoint mode, linked to each overlay they join with the aliases
they answer to there; containers and services registered by a component (a DNS group, a joined
group, a swarm application) are drawn inside a box named after it. Everything is
read from the recorded plan, so a program of plain pulumi_docker resources is drawn as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.vocabulary import CONTAINER_TYPE as CONTAINER
from components.vocabulary import DOCKER_SERVICE_TYPE as SERVICE
from components.vocabulary import NETWORK_TYPE as NETWORK
from components.vocabulary import PREDEFINED_NETWORKS, STACK_TYPE
from plan import UNKNOWN, Plan, Registration


@dataclass
class _Network:
    id: str
    name: str
    subnets: list[str]
    internal: bool


@dataclass
class _Link:
    network: str
    aliases: list[str]
    address: str


@dataclass
class _Container:
    id: str
    name: str
    mode: str
    links: list[_Link] = field(default_factory=list)
    group: str = ""
    notes: list[str] = field(default_factory=list)
    """For a swarm service: its replicas and endpoint mode (a container has none)."""

    @property
    def is_service(self) -> bool:
        return bool(self.notes)


def _text(value: Any) -> str:
    if value == UNKNOWN:
        return "(unknown at preview)"
    return "" if value is None else str(value)


def _label(*lines: str) -> str:
    escaped = [line.replace('"', "#quot;") for line in lines if line]
    return '"' + "<br/>".join(escaped) + '"'


def _networks(plan: Plan) -> tuple[dict[str, _Network], dict[str, _Network]]:
    """The stack's networks by name and by URN."""
    by_name: dict[str, _Network] = {}
    by_urn: dict[str, _Network] = {}
    for registration in plan.of_type(NETWORK):
        inputs = registration.inputs
        subnets = [
            _text(ipam.get("subnet"))
            for ipam in inputs.get("ipamConfigs") or []
            if isinstance(ipam, dict) and ipam.get("subnet")
        ]
        network = _Network(
            id=f"n{len(by_urn)}",
            name=_text(inputs.get("name") or registration.name),
            subnets=subnets,
            internal=inputs.get("internal") is True,
        )
        by_name.setdefault(network.name, network)
        by_urn[registration.urn] = network
    return by_name, by_urn


def _containers(plan: Plan, network_by_urn: dict[str, _Network]) -> list[_Container]:
    """The stack's containers with their network links and the component they belong to."""
    registrations = plan.by_urn()
    containers: list[_Container] = []
    for registration in plan.of_type(CONTAINER):
        inputs = registration.inputs
        container = _Container(
            id=f"c{len(containers)}",
            name=_text(inputs.get("name") or registration.name),
            mode=_text(inputs.get("networkMode")),
            group=_group(registration, registrations),
        )
        # A network name unknown at preview is found through the property's dependencies.
        network_deps = [
            network_by_urn[urn]
            for urn in registration.property_dependencies.get("networksAdvanced", ())
            if urn in network_by_urn
        ]
        for attachment in inputs.get("networksAdvanced") or []:
            if not isinstance(attachment, dict):
                continue
            network_name = attachment.get("name")
            if network_name == UNKNOWN and len(network_deps) == 1:
                network_name = network_deps[0].name
            container.links.append(
                _Link(
                    network=_text(network_name),
                    aliases=[_text(a) for a in attachment.get("aliases") or []],
                    address=_text(attachment.get("ipv4Address")),
                )
            )
        containers.append(container)
    return containers


def _services(plan: Plan, network_by_urn: dict[str, _Network], first: int) -> list[_Container]:
    """The stack's swarm services with the overlays they join.

    The provider names a service's network by its id, which is unknown at preview; the networks
    are then the ones its `taskSpec` was built from. Aliases go on the link when the entry can
    be told apart (by name, or as the one network), else on the service's box.
    """
    registrations = plan.by_urn()
    services: list[_Container] = []
    for registration in plan.of_type(SERVICE):
        inputs = registration.inputs
        task_spec = _record(inputs.get("taskSpec"))
        service = _Container(
            id=f"c{first + len(services)}",
            name=_text(inputs.get("name") or registration.name),
            mode="",
            group=_group(registration, registrations),
            notes=["swarm service", *_service_notes(inputs)],
        )
        built_from = [
            network_by_urn[urn]
            for urn in registration.property_dependencies.get("taskSpec", ())
            if urn in network_by_urn
        ]
        entries = [e for e in task_spec.get("networksAdvanceds") or [] if isinstance(e, dict)]
        by_id = [e for e in entries if not e.get("name")]
        for entry in entries:
            aliases = [_text(a) for a in entry.get("aliases") or []]
            if entry.get("name"):
                service.links.append(_Link(_text(entry["name"]), aliases, ""))
            elif len(by_id) == 1 and len(built_from) == 1:
                service.links.append(_Link(built_from[0].name, aliases, ""))
            elif aliases:
                service.notes.append("aliases: " + ", ".join(aliases))
        if not (len(by_id) == 1 and len(built_from) == 1):
            service.links += [_Link(network.name, [], "") for network in built_from]
        services.append(service)
    return services


def _record(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _service_notes(inputs: dict[str, Any]) -> list[str]:
    """A service's replicas (or global mode) and its endpoint mode."""
    notes: list[str] = []
    mode = _record(inputs.get("mode"))
    replicated = mode.get("replicated")
    if mode.get("global") is True:
        notes.append("global: one task per node")
    elif isinstance(replicated, dict) and replicated.get("replicas") is not None:
        replicas = replicated["replicas"]
        shown = int(replicas) if isinstance(replicas, float) and replicas.is_integer() else replicas
        notes.append(f"replicas {_text(shown)}")
    endpoint = inputs.get("endpointSpec")
    if isinstance(endpoint, dict) and endpoint.get("mode"):
        notes.append(f"endpoint {_text(endpoint['mode'])}")
    return notes


def mermaid(plan: Plan) -> str:
    """The Mermaid source (without the surrounding code fence)."""
    networks, network_by_urn = _networks(plan)
    containers = _containers(plan, network_by_urn)
    containers += _services(plan, network_by_urn, len(containers))
    lines = ["flowchart LR"]
    others: dict[str, str] = {}  # predefined networks and networks the stack does not create

    def network_id(name: str) -> str:
        if name in networks:
            return networks[name].id
        return others.setdefault(name, f"p{len(others)}")

    edges: list[str] = []
    by_name = {c.name: c for c in containers}
    for container in containers:
        if container.mode.startswith("container:"):
            owner_name = container.mode[len("container:") :]
            owner = by_name.get(owner_name)
            target = owner.id if owner else f"x_{container.id}"
            if owner is None:
                lines.append(f"  {target}[{_label(owner_name + ' (not in this stack)')}]")
            label = _label("loopback 127.0.0.1", container.mode)
            edges.append(f"  {container.id} -. {label} .-> {target}")
            continue
        for link in container.links:
            detail = []
            if link.aliases:
                detail.append("aliases: " + ", ".join(link.aliases))
            if link.address:
                detail.append("ip " + link.address)
            arrow = f"---|{_label(*detail)}|" if detail else "---"
            edges.append(f"  {container.id} {arrow} {network_id(link.network)}")
        if not container.links and not container.is_service:
            edges.append(f"  {container.id} --- {network_id(container.mode or 'bridge')}")

    for network in networks.values():
        kind = "internal network" if network.internal else "network"
        lines.append(f"  {network.id}{{{{{_label(f'{kind} {network.name}', *network.subnets)}}}}}")
    for name, node_id in others.items():
        title = (
            f"{name} (predefined)" if name in PREDEFINED_NETWORKS else f"{name} (not in this stack)"
        )
        lines.append(f"  {node_id}{{{{{_label(title)}}}}}")
    lines.extend(_boxes(containers))
    lines.extend(edges)
    return "\n".join(lines) + "\n"


def _boxes(containers: list[_Container]) -> list[str]:
    """Container nodes, those of one component inside a subgraph named after it."""
    groups: dict[str, list[_Container]] = {}
    for container in containers:
        groups.setdefault(container.group, []).append(container)
    lines: list[str] = []
    for index, (group, members) in enumerate(groups.items()):
        indent = "    " if group else "  "
        if group:
            lines.append(f"  subgraph g{index}[{_label(group)}]")
        lines.extend(f"{indent}{_node(member)}" for member in members)
        if group:
            lines.append("  end")
    return lines


def _node(member: _Container) -> str:
    """A container as a box; a swarm service as a rounded box with its notes."""
    if member.is_service:
        return f"{member.id}({_label(member.name, *member.notes)})"
    return f"{member.id}[{_label(member.name, _mode_note(member))}]"


def _mode_note(container: _Container) -> str:
    if container.mode.startswith("container:"):
        return "shares " + container.mode
    if container.mode in ("host", "none"):
        return "network mode " + container.mode
    return ""


def _group(registration: Registration, by_urn: dict[str, Registration]) -> str:
    """`<ComponentType> <name>` of the nearest component the resource belongs to."""
    parent = by_urn.get(registration.parent)
    while parent is not None:
        if not parent.custom and parent.type != STACK_TYPE:
            short = parent.type.rsplit(":", 1)[-1]
            return f"{short} {parent.name}"
        parent = by_urn.get(parent.parent)
    return ""


def markdown(plan: Plan) -> str:
    """The diagram in a Markdown file: a title and a `mermaid` code block."""
    return (
        f"# Topology of stack `{plan.stack}` ({plan.project})\n\n```mermaid\n"
        + mermaid(plan)
        + "```\n"
    )
