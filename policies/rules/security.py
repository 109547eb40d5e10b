"""Security rules: what a container may take from the Docker host."""

from __future__ import annotations

import posixpath

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from ._props import (
    CONTAINER,
    LABEL_PRESET,
    Unknown,
    config_strings,
    container_label,
    container_view,
    finish,
    flag,
    items,
    number,
    port_number,
    record,
    strings,
    text,
    unwrap,
)

DOCKER_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run"})
"""Host paths that expose the Docker engine's socket when mounted."""
DEFAULT_MONITOR_CAPABILITIES = ["NET_ADMIN", "NET_RAW"]
"""What the monitor preset adds to capture another container's traffic."""
DEFAULT_BIND_ADDRESSES = ["127.0.0.1", "::1"]
"""Host addresses ports may be published on by default: loopback only."""

_STRINGS = {"type": "array", "items": {"type": "string"}}


def _host_network(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    view = container_view(unwrap(args.props), args.name)
    if isinstance(view.network_mode, Unknown):
        finish(args, [f'the network mode of container "{view.label}" is'])
    elif view.network_mode == "host":
        report(
            f'container "{view.label}": network mode "host" shares the Docker host\'s network '
            "stack with the container; attach it to a user-defined network and publish only the "
            "ports it needs.",
            None,
        )


docker_container_disallow_host_network = ResourceValidationPolicy(
    name="docker-container-disallow-host-network",
    description="A container does not use the host's network stack (network mode host).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_host_network,
)


def _privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = unwrap(args.props)
    label = container_label(props, args.name)
    privileged = flag(props, "privileged")
    if isinstance(privileged, Unknown):
        finish(args, [f'privileged of container "{label}" is'])
    elif privileged:
        report(
            f'container "{label}": privileged true gives the container every capability and all '
            "host devices; set privileged false and add only the capabilities it needs.",
            None,
        )


docker_container_disallow_privileged = ResourceValidationPolicy(
    name="docker-container-disallow-privileged",
    description="A container does not run privileged.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_privileged,
)


def _is_socket(path: str) -> bool:
    return posixpath.normpath(path) in DOCKER_SOCKETS


def _socket_mount(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = unwrap(args.props)
    label = container_label(props, args.name)
    unknowns: list[str] = []
    for key, field in (("volumes", "hostPath"), ("mounts", "source")):
        entries = items(props, key)
        if isinstance(entries, Unknown):
            unknowns.append(f'the {key} of container "{label}" are')
            continue
        for entry in entries:
            path = text(entry, field)
            if isinstance(path, Unknown):
                unknowns.append(f'a {key} {field} of container "{label}" is')
            elif path is not None and _is_socket(path):
                report(
                    f'container "{label}": {key} mounts "{path}", which exposes the Docker '
                    "socket and so gives the container control of the engine and the host; "
                    "remove the mount.",
                    None,
                )
    finish(args, unknowns)


docker_container_disallow_docker_socket_mount = ResourceValidationPolicy(
    name="docker-container-disallow-docker-socket-mount",
    description="A container does not mount the Docker engine's socket.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_socket_mount,
)


def _capability(value: str) -> str:
    upper = value.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def _capabilities(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = unwrap(args.props)
    view = container_view(props, args.name)
    capabilities = record(props, "capabilities")
    adds, adds_unknown = strings(
        capabilities if isinstance(capabilities, Unknown) else items(capabilities, "adds")
    )
    allowed = [_capability(c) for c in config_strings(args, "allowedCapabilities", [])]
    unknowns: list[str] = []
    if adds_unknown:
        unknowns.append(f'the added capabilities of container "{view.label}" are')
    if adds:
        preset = view.labels.get(LABEL_PRESET)
        if isinstance(preset, Unknown):
            unknowns.append(f'the {LABEL_PRESET} label of container "{view.label}" is')
        elif preset == "monitor":
            monitor = config_strings(args, "monitorCapabilities", DEFAULT_MONITOR_CAPABILITIES)
            allowed.extend(_capability(c) for c in monitor)
    for add in adds:
        if _capability(add) not in allowed:
            shown = ", ".join(sorted(set(allowed))) or "none"
            report(
                f'container "{view.label}": capabilities.adds has "{add}", which is not allowed '
                f"(allowed here: {shown}); drop it, or list it in this policy's "
                "allowedCapabilities config.",
                None,
            )
    finish(args, unknowns)


docker_container_enforce_allowed_capabilities = ResourceValidationPolicy(
    name="docker-container-enforce-allowed-capabilities",
    description=(
        "A container adds only allowed capabilities; containers labelled "
        "container-comms.preset=monitor may also add NET_RAW and NET_ADMIN."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedCapabilities": {
                **_STRINGS,
                "default": [],
                "description": "Capabilities any container may add.",
            },
            "monitorCapabilities": {
                **_STRINGS,
                "default": DEFAULT_MONITOR_CAPABILITIES,
                "description": "Capabilities containers labelled as monitors may add.",
            },
        }
    ),
    validate=_capabilities,
)


def _bind_address(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = unwrap(args.props)
    label = container_label(props, args.name)
    allowed = config_strings(args, "allowedBindAddresses", DEFAULT_BIND_ADDRESSES)
    ports = items(props, "ports")
    unknowns: list[str] = []
    if isinstance(ports, Unknown):
        ports = []
        unknowns.append(f'the ports of container "{label}" are')
    for port in ports:
        address = text(port, "ip")
        if isinstance(address, Unknown):
            unknowns.append(f'the bind address of a port of container "{label}" is')
            continue
        address = address or "0.0.0.0"
        if address in allowed:
            continue
        every = " (all host interfaces)" if address in ("0.0.0.0", "::") else ""
        report(
            f'container "{label}": port {port_number(number(port, "internal"))} is published on '
            f"{address}{every}; bind it to an allowed address ({', '.join(allowed) or 'none'}) "
            "with the port's ip, or list the address in this policy's allowedBindAddresses "
            "config.",
            None,
        )
    if flag(props, "publishAllPorts") is True and "0.0.0.0" not in allowed:
        report(
            f'container "{label}": publishAllPorts true publishes every exposed port on 0.0.0.0 '
            "(all host interfaces); publish the ports it needs one by one on an allowed address.",
            None,
        )
    finish(args, unknowns)


docker_container_enforce_port_bind_address = ResourceValidationPolicy(
    name="docker-container-enforce-port-bind-address",
    description="A container publishes ports only on allowed host addresses.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedBindAddresses": {
                **_STRINGS,
                "default": DEFAULT_BIND_ADDRESSES,
                "description": "Host addresses ports may be published on.",
            }
        }
    ),
    validate=_bind_address,
)

SECURITY_POLICIES = [
    docker_container_disallow_host_network,
    docker_container_disallow_privileged,
    docker_container_disallow_docker_socket_mount,
    docker_container_enforce_allowed_capabilities,
    docker_container_enforce_port_bind_address,
]
"""The security rules, in README order."""
