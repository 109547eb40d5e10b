"""The topology as a Mermaid flowchart, which GitHub renders inside pull requests and issues.

Networks are hexagons with their subnets; containers are boxes with their names, and the link
to each network carries the aliases and static address used there; a container that joins
another's network namespace has a dotted loopback link to its owner; containers registered by a
component (a DNS group, a joined group) are drawn inside a box named after it. Everything is
read from the recorded plan, so a program of plain pulumi_docker resources is drawn as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.vocabulary import CONTAINER_TYPE as CONTAINER
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


def mermaid(plan: Plan) -> str:
    """The Mermaid source (without the surrounding code fence)."""
    networks, network_by_urn = _networks(plan)
    containers = _containers(plan, network_by_urn)
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
        if not container.links:
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
        lines.extend(
            f"{indent}{member.id}[{_label(member.name, _mode_note(member))}]" for member in members
        )
        if group:
            lines.append("  end")
    return lines


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
