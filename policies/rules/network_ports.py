"""Network rules on published ports: none on a container that only internal networks reach."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    Unknown,
    finish,
    flag,
    items,
    number,
    port_number,
    quoted,
)
from ._stack import StackIndex


def _published_ports(props: object) -> list[str] | Unknown:
    ports = items(props, "ports")
    if isinstance(ports, Unknown):
        return ports
    shown = [port_number(number(p, "internal")) for p in ports if isinstance(p, dict)]
    if flag(props, "publishAllPorts") is True:
        shown.append("all exposed")
    return shown


def _ports_on_internal(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        ports = _published_ports(container.props)
        if isinstance(ports, Unknown):
            unknowns.append(f'the ports of container "{label}" are')
            continue
        if not ports:
            continue
        networks = index.own_networks(container)
        if isinstance(networks, Unknown):
            unknowns.append(f'the networks of container "{label}" are')
            continue
        entries = [index.networks_by_name.get(n) for n in sorted(networks)]
        if not entries or any(e is None for e in entries):
            continue
        internal = [e.internal for e in entries if e is not None]
        if any(isinstance(i, Unknown) for i in internal):
            unknowns.append(f'the internal flag of a network of "{label}" is')
        elif all(i is True for i in internal):
            report(
                f'container "{label}": publishes ports [{", ".join(ports)}] but is attached only '
                f"to internal networks {quoted(sorted(networks))}; the engine accepts the ports "
                "and silently publishes nothing, since an internal network has no way out; attach "
                "the container to a non-internal network as well, or drop the ports.",
                container.urn,
            )
    finish(args, unknowns)


docker_container_disallow_ports_on_internal_network = StackValidationPolicy(
    name="docker-container-disallow-ports-on-internal-network",
    description="A container attached only to internal networks publishes no ports.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_ports_on_internal,
)
