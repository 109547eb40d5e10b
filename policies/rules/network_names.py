"""Network rules on names: one name per network of the stack, none the engine predefines."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    PREDEFINED_NETWORKS,
    Unknown,
    finish,
)
from ._stack import NetworkEntry, StackIndex


def _duplicate_network_name(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    first: dict[str, NetworkEntry] = {}
    unknowns: list[str] = []
    for network in index.networks:
        name = network.name
        if isinstance(name, Unknown):
            unknowns.append(f'the name of network resource "{network.resource_name}" is')
            continue
        if name is None:
            continue
        if name in PREDEFINED_NETWORKS:
            report(
                f'network "{name}": name "{name}" is the name of a network the engine defines '
                f'itself; the engine refuses it with "operation is not permitted on predefined '
                f'{name} network"; give the network another name.',
                network.urn,
            )
            continue
        holder = first.setdefault(name, network)
        if holder is not network:
            report(
                f'network "{name}": name "{name}" is already used by network resource '
                f'"{holder.resource_name}"; the engine refuses the second with "network with name '
                f'{name} already exists"; give every network of the stack its own name.',
                network.urn,
            )
    finish(args, unknowns)


docker_network_disallow_duplicate_name = StackValidationPolicy(
    name="docker-network-disallow-duplicate-name",
    description=(
        "No two networks of a stack have the same name, and none is named like a network the "
        "engine defines itself (bridge, host, none, default)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_duplicate_network_name,
)
