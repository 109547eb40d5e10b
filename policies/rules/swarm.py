"""Swarm rules: what the engine refuses, or silently gets wrong, for swarm services, overlay
networks and the plain containers beside them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    SERVICE,
    UNKNOWN,
    Unknown,
    config_strings,
    finish,
    items,
    number,
    parse_address,
    port_number,
    record,
    text,
    unwrap,
)
from ._stack import NetworkEntry, ServiceEntry, StackIndex, Subnet
from ._subject import Subject, for_subjects
from .network_values import shown
from .vocabulary import (
    CREDENTIAL_NAME,
    REPLICAS_MAX,
    SERVICE_NAME_LIMIT,
    TASK_MEMORY_FLOOR_MIB,
    TASK_MEMORY_MINIMUM_MIB,
    is_service_name,
)

SWARM_NODES_DEFAULT = 1
"""The nodes a swarm has when the policy config does not say (a one-node swarm)."""

FIX_NAMES = (
    'reach the service by its name (endpointSpec mode "vip") or each task by '
    'tasks.<service> (mode "dnsrr")'
)


def _network_entries(props: Any) -> list[Any] | Unknown:
    task_spec = record(props, "taskSpec")
    if isinstance(task_spec, Unknown):
        return task_spec
    return items(task_spec, "networksAdvanceds")


# -- static addresses ---------------------------------------------------------------------


@for_subjects(services=True, containers=False)
def _static_ip(subject: Subject) -> Iterator[str]:
    entries = _network_entries(subject.props)
    if isinstance(entries, Unknown):
        subject.undecided(f"the networks of {subject.subject} are")
        return
    for index, entry in enumerate(entries):
        options = record(entry, "driverOpts")
        if isinstance(options, Unknown):
            subject.undecided(f"the driverOpts of {subject.subject} are")
            continue
        for key, option in sorted(options.items()):
            value = unwrap(option)
            if isinstance(value, str) and parse_address(value) is not None:
                yield (
                    f'networksAdvanceds[{index}].driverOpts "{key}" asks for the address '
                    f'"{value}"; a swarm service has no static address: the engine accepts the '
                    "option and ignores it, and the swarm's allocator gives each task an "
                    f"address of its own; drop the option and {FIX_NAMES}"
                )


docker_service_disallow_static_ip = ResourceValidationPolicy(
    name="docker-service-disallow-static-ip",
    description="A swarm service asks for no static address (the swarm allocates every task's).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_static_ip,
)


# -- container: mode ----------------------------------------------------------------------


@for_subjects(services=True, containers=False)
def _joined_mode(subject: Subject) -> Iterator[str]:
    entries = _network_entries(subject.props)
    if isinstance(entries, Unknown):
        subject.undecided(f"the networks of {subject.subject} are")
        return
    for index, entry in enumerate(entries):
        for key in ("name", "id"):
            target = text(entry, key)
            if isinstance(target, str) and target.startswith("container:"):
                yield (
                    f'networksAdvanceds[{index}].{key} is "{target}"; a swarm service has no '
                    "container: network mode, and the engine refuses it with "
                    f'"network {target} not found"; run the service and the container it would '
                    "join as a joined group of plain containers, on an attachable overlay "
                    "network"
                )


docker_service_disallow_joined_network_mode = ResourceValidationPolicy(
    name="docker-service-disallow-joined-network-mode",
    description="A swarm service does not join another container's network namespace.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_joined_mode,
)


# -- plain containers on overlays ---------------------------------------------------------


def _attachable_overlay(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    if all(n.is_overlay is False or n.attachable is True for n in index.networks):
        return  # no overlay of the stack refuses containers
    for container in index.containers:
        label = container.view.label
        networks = index.own_networks(container)
        if isinstance(networks, Unknown):
            unknowns.append(f'the networks of container "{label}" are')
            continue
        for name in sorted(networks):
            network = index.networks_by_name.get(name)
            if network is None:
                continue
            overlay = network.is_overlay
            if isinstance(overlay, Unknown) or isinstance(network.attachable, Unknown):
                unknowns.append(f'the driver or attachable flag of network "{network.label}" is')
            elif overlay and network.attachable is not True:
                report(
                    f'container "{label}": joins overlay network "{network.label}", which is '
                    "not attachable; the engine refuses to start the container with "
                    f'"Could not attach to network {network.label}: rpc error: code = '
                    f'PermissionDenied desc = network {network.label} not manually attachable"; '
                    f'create "{network.label}" with attachable true, or keep the container off '
                    "it.",
                    container.urn,
                )
    finish(args, unknowns)


docker_container_require_attachable_overlay = StackValidationPolicy(
    name="docker-container-require-attachable-overlay",
    description="A standalone container joins only overlay networks created attachable.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_attachable_overlay,
)


# -- services on networks of one engine ---------------------------------------------------


def _overlay_network(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for service in index.services:
        label = service.label
        networks = index.service_networks(service)
        if isinstance(networks, Unknown):
            unknowns.append(f'the networks of service "{label}" are')
            continue
        for found in networks:
            network = found.network
            if network is None:
                if found.name in {"bridge", "default"}:
                    report(
                        f'service "{label}": attached to the predefined network "{found.name}"; '
                        "the engine accepts it and runs the tasks on each node's default bridge, "
                        "where no service or container name resolves; attach the service to an "
                        "overlay network.",
                        service.urn,
                    )
                continue
            overlay = network.is_overlay
            if isinstance(overlay, Unknown):
                unknowns.append(f'the driver of network "{network.label}" is')
            elif not overlay:
                driver = network.driver if isinstance(network.driver, str) else "bridge"
                report(
                    f'service "{label}": attached to network "{network.label}" (driver '
                    f'"{driver}"), a network of one engine; the engine refuses it with "The '
                    f"network {network.label} cannot be used with services. Only networks scoped "
                    'to the swarm can be used, such as those created with the overlay driver."; '
                    "attach the service to an overlay network.",
                    service.urn,
                )
    finish(args, unknowns)


docker_service_require_overlay_network = StackValidationPolicy(
    name="docker-service-require-overlay-network",
    description="A swarm service is attached to overlay networks, not to a bridge.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_overlay_network,
)


# -- overlay subnets ----------------------------------------------------------------------


def _overlay_subnets(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    pools: list[tuple[Subnet, str, NetworkEntry]] = []
    for network in index.networks:
        overlay = network.is_overlay
        if isinstance(overlay, Unknown):
            unknowns.append(f'the driver of network "{network.label}" is')
            continue
        if not overlay:
            continue
        if network.ipams_unknown:
            unknowns.append(f'the ipamConfigs of network "{network.label}" are')
        for ipam in network.ipams:
            if isinstance(ipam.subnet_text, Unknown):
                unknowns.append(f'a subnet of network "{network.label}" is')
            elif ipam.subnet is not None and isinstance(ipam.subnet_text, str):
                pools.append((ipam.subnet, ipam.subnet_text, network))
    pools.sort(key=lambda p: (p[0].version, int(p[0].network_address), p[0].prefixlen))
    holder: tuple[Subnet, str, NetworkEntry] | None = None
    reported: set[str] = set()
    for pool in pools:
        subnet, shown, network = pool
        if (
            holder is not None
            and holder[0].version == subnet.version
            and int(subnet.network_address) <= int(holder[0].broadcast_address)
            and holder[2].urn != network.urn
            and network.urn not in reported
        ):
            reported.add(network.urn)
            report(
                f'network "{network.label}": overlay subnet "{shown}" overlaps subnet '
                f'"{holder[1]}" of overlay network "{holder[2].label}"; the engine accepts the '
                'network, then never allocates it ("Pool overlaps with other one on this address '
                'space" in its log), and tasks of services on it stay "new" and never start; '
                "give each overlay network a subnet of its own.",
                network.urn,
            )
        if (
            holder is None
            or holder[0].version != subnet.version
            or int(subnet.broadcast_address) > int(holder[0].broadcast_address)
        ):
            holder = pool
    finish(args, unknowns)


docker_network_disallow_overlapping_overlay_subnets = StackValidationPolicy(
    name="docker-network-disallow-overlapping-overlay-subnets",
    description="No two overlay networks of a stack have overlapping subnets.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_overlay_subnets,
)


# -- host-mode ports ----------------------------------------------------------------------


def _swarm_nodes(args: ResourceValidationArgs | None) -> int:
    if args is None:
        return SWARM_NODES_DEFAULT
    try:
        value = unwrap(args.get_config()).get("swarmNodes")
    except AttributeError:
        return SWARM_NODES_DEFAULT
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        return SWARM_NODES_DEFAULT
    return int(value)  # numbers cross protobuf as floats


@for_subjects(services=True, containers=False)
def _host_ports(subject: Subject) -> Iterator[str]:
    props = subject.props
    ports = items(record(props, "endpointSpec"), "ports")
    if isinstance(ports, Unknown):
        subject.undecided(f"the ports of {subject.subject} are")
        return
    host = [
        p
        for p in ports
        if text(p, "publishMode") == "host" and isinstance(number(p, "publishedPort"), float)
    ]
    if not host:
        return
    mode = record(props, "mode")
    if isinstance(mode, Unknown):
        subject.undecided(f"the mode of {subject.subject} is")
        return
    if "global" in mode and unwrap(mode["global"]) is True:
        return
    replicated = record(mode, "replicated")
    replicas = number(replicated, "replicas") if not isinstance(replicated, Unknown) else None
    if isinstance(replicas, Unknown) or isinstance(replicated, Unknown):
        subject.undecided(f"the replicas of {subject.subject} are")
        return
    count = int(replicas) if replicas is not None else 1
    nodes = _swarm_nodes(subject.args)
    if count <= nodes:
        return
    for port in host:
        published = port_number(number(port, "publishedPort"))
        protocol = text(port, "protocol")
        protocol = protocol if isinstance(protocol, str) else "tcp"
        yield (
            f"{count} replicas publish port {published}/{protocol} in host mode, but a node "
            "binds a host-mode port for one task only and the swarm has "
            f"{nodes} node{'s' if nodes != 1 else ''} (policy config swarmNodes); the engine "
            f'leaves {count - nodes} task{"s" if count - nodes != 1 else ""} pending ("no '
            f'suitable node (host-mode port already in use on {nodes} node)"); publish the port '
            f"in ingress mode, run the service in mode global, or lower replicas to {nodes}"
        )


docker_service_disallow_host_ports_beyond_nodes = ResourceValidationPolicy(
    name="docker-service-disallow-host-ports-beyond-nodes",
    description=(
        "A swarm service that publishes a port in host mode runs no more replicas than the "
        "swarm has nodes."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "swarmNodes": {
                "type": "integer",
                "minimum": 1,
                "default": SWARM_NODES_DEFAULT,
                "description": "The nodes of the swarm the stack deploys to.",
            }
        }
    ),
    validate=_host_ports,
)


# -- secrets in env -----------------------------------------------------------------------


def _secret_texts(index: StackIndex) -> dict[str, str]:
    """The text of each swarm secret of the stack whose data is known, by its name."""
    texts: dict[str, str] = {}
    for urn, props in index.secrets:
        data = text(props, "data")
        name = text(props, "name")
        if not isinstance(data, str):
            continue
        try:
            decoded = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if decoded:
            texts[decoded] = name if isinstance(name, str) else urn.rsplit("::", 1)[-1]
    return texts


def _env_of(service: ServiceEntry) -> dict[str, Any] | Unknown:
    spec = record(record(service.props, "taskSpec"), "containerSpec")
    if isinstance(spec, Unknown):
        return spec
    return record(spec, "env")


def _secret_in_env(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    allowed = set(config_strings(args, "allowedEnv", []))
    texts = _secret_texts(index)
    unknowns: list[str] = []
    shown = "the engine shows environment variables to anyone who can inspect the service or its"
    for service in index.services:
        label = service.label
        env = _env_of(service)
        if isinstance(env, Unknown):
            unknowns.append(f'the env of service "{label}" is')
            continue
        for key in sorted(env):
            value = unwrap(env[key])
            if key in allowed or not isinstance(value, str) or not value:
                continue
            if value in texts:
                report(
                    f'service "{label}": env {key} holds the text of swarm secret '
                    f'"{texts[value]}"; {shown} containers; read it from the secret\'s file '
                    "instead (containerSpec.secrets; many images take <NAME>_FILE=/run/secrets/"
                    "<name>).",
                    service.urn,
                )
            elif CREDENTIAL_NAME.search(key) and not value.startswith("/"):
                report(
                    f'service "{label}": env {key} looks like a credential and is given as '
                    f"plain text; {shown} containers; pass it as a swarm secret (docker.Secret "
                    "and containerSpec.secrets) and read it from its file, or list the variable "
                    "in this policy's allowedEnv config if it is not secret.",
                    service.urn,
                )
    finish(args, unknowns)


docker_service_disallow_secret_in_env = StackValidationPolicy(
    name="docker-service-disallow-secret-in-env",
    description=(
        "A swarm service gets secrets as swarm secrets (files), not as environment variables."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedEnv": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Variable names that look like credentials but are not secret.",
            }
        }
    ),
    validate=_secret_in_env,
)


# -- values the swarm refuses -------------------------------------------------------------

_RPC = "rpc error: code = InvalidArgument desc = "


def _whole(value: float) -> str:
    """A number as the engine prints it: `3`, `-1`, `1.5`, `100000000000000000000`."""
    return str(int(value)) if value.is_integer() else repr(value)


def _service_name(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SERVICE:
        return
    name = text(unwrap(args.props), "name")
    if isinstance(name, Unknown):
        finish(args, [f'the name of service resource "{args.name}" is'])
        return
    if name is None or is_service_name(name):
        return
    report(
        f"service {shown(name)}: name {shown(name)} is not a name the swarm takes (letters and "
        f"digits, with - or _ between them, no dots, at most {SERVICE_NAME_LIMIT} characters); "
        f'the engine refuses the service with "{_RPC}name must be valid as a DNS name '
        'component"; name it like "web-v2".',
        None,
    )


docker_service_enforce_valid_name = ResourceValidationPolicy(
    name="docker-service-enforce-valid-name",
    description=(
        "A swarm service's name is letters and digits with - or _ between them (no dots), at "
        "most 63 characters."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_service_name,
)


@for_subjects(services=True, containers=False)
def _replicas(subject: Subject) -> Iterator[str]:
    mode = record(subject.props, "mode")
    replicated = mode if isinstance(mode, Unknown) else record(mode, "replicated")
    replicas = replicated if isinstance(replicated, Unknown) else number(replicated, "replicas")
    if isinstance(replicas, Unknown):
        subject.undecided(f"the replicas of {subject.subject} are")
        return
    if replicas is None:
        return
    head = f"mode.replicated.replicas {_whole(replicas)}"
    go_field = "Go struct field ReplicatedService.Mode.Replicated.Replicas of type uint64"
    if replicas < 0 or not replicas.is_integer() or replicas > 2**64 - 1:
        yield (
            f"{head} is not a whole number from 0 to {REPLICAS_MAX}; the engine refuses the "
            f'service with "json: cannot unmarshal number {_whole(replicas)} into {go_field}"; '
            "give the number of tasks to run, e.g. 2"
        )
    elif replicas > REPLICAS_MAX:
        yield (
            f"{head} is above {REPLICAS_MAX}, the most the swarm takes; the engine refuses the "
            f'service with "{_RPC}Number of replicas must be non-negative"; give the number of '
            "tasks to run, e.g. 2"
        )


docker_service_enforce_valid_replicas = ResourceValidationPolicy(
    name="docker-service-enforce-valid-replicas",
    description=f"A swarm service's replicas are a whole number from 0 to {REPLICAS_MAX}.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_replicas,
)


@for_subjects(services=True, containers=False)
def _memory_limit(subject: Subject) -> Iterator[str]:
    limits = record(record(record(subject.props, "taskSpec"), "resources"), "limits")
    memory = limits if isinstance(limits, Unknown) else number(limits, "memoryBytes")
    if isinstance(memory, Unknown):
        subject.undecided(f"the memory limit of {subject.subject} is")
        return
    if memory is None or memory <= 0 or memory >= TASK_MEMORY_MINIMUM_MIB * _MIB:
        return
    head = f"taskSpec.resources.limits.memoryBytes {_whole(memory)}"
    if memory < TASK_MEMORY_FLOOR_MIB * _MIB:
        engine = (
            f'the engine refuses the service with "{_RPC}invalid memory value {_whole(memory)}: '
            'Must be at least 4MiB"'
        )
    else:
        engine = (
            'the swarm creates the service and the engine rejects every task with "Minimum '
            'memory limit allowed is 6MB", so none ever runs'
        )
    yield (
        f"{head} is below {TASK_MEMORY_MINIMUM_MIB} MiB ({TASK_MEMORY_MINIMUM_MIB * _MIB} bytes), "
        f"the least a task runs with; {engine}; give {TASK_MEMORY_MINIMUM_MIB} MiB or more"
    )


_MIB = 1024 * 1024

docker_service_enforce_valid_memory_limit = ResourceValidationPolicy(
    name="docker-service-enforce-valid-memory-limit",
    description="A swarm service's memory limit, when set, is at least 6 MiB.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_memory_limit,
)


def _ingress_ports(props: Any) -> list[tuple[int, str]] | Unknown:
    """The (published port, protocol) pairs a service publishes through the routing mesh."""
    ports = items(record(props, "endpointSpec"), "ports")
    if isinstance(ports, Unknown):
        return ports
    found: list[tuple[int, str]] = []
    for port in ports:
        mode, published, protocol = (
            text(port, "publishMode"),
            number(port, "publishedPort"),
            text(port, "protocol"),
        )
        if isinstance(mode, Unknown) or isinstance(published, Unknown):
            return UNKNOWN
        if mode in (None, "ingress") and isinstance(published, float) and published > 0:
            found.append((int(published), protocol if isinstance(protocol, str) else "tcp"))
    return found


@for_subjects(services=True, containers=False)
def _dnsrr_ingress(subject: Subject) -> Iterator[str]:
    endpoint = record(subject.props, "endpointSpec")
    mode = endpoint if isinstance(endpoint, Unknown) else text(endpoint, "mode")
    ports = _ingress_ports(subject.props)
    if isinstance(mode, Unknown) or isinstance(ports, Unknown):
        subject.undecided(f"the endpoint mode or ports of {subject.subject} are")
        return
    if mode != "dnsrr" or not ports:
        return
    shown_ports = ", ".join(f"{p}/{proto}" for p, proto in ports)
    yield (
        f'endpointSpec mode "dnsrr" with ports published in ingress mode ({shown_ports}); the '
        f'engine refuses the service with "{_RPC}EndpointSpec: port published with ingress mode '
        'can\'t be used with dnsrr mode"; publish the ports in mode "host", or use endpoint '
        'mode "vip"'
    )


docker_service_disallow_ingress_port_with_dnsrr = ResourceValidationPolicy(
    name="docker-service-disallow-ingress-port-with-dnsrr",
    description=(
        'A swarm service in endpoint mode "dnsrr" publishes ports in host mode only (the '
        "routing mesh needs a virtual IP)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_dnsrr_ingress,
)


def _duplicate_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    holders: dict[tuple[int, str], ServiceEntry] = {}
    unknowns: list[str] = []
    for service in index.services:
        ports = _ingress_ports(service.props)
        if isinstance(ports, Unknown):
            unknowns.append(f'the ports of service "{service.label}" are')
            continue
        for port, protocol in dict.fromkeys(ports):
            holder = holders.setdefault((port, protocol), service)
            if holder is service:
                continue
            report(
                f'service "{service.label}": publishes port {port}/{protocol} in ingress mode, '
                f'which service "{holder.label}" already publishes; every node holds an ingress '
                f'port for one service, and the engine refuses the second with "{_RPC}port '
                f"'{port}' is already in use by service '{holder.label}' (<id>) as an ingress "
                'port"; publish another port.',
                service.urn,
            )
    finish(args, unknowns)


docker_service_disallow_duplicate_ingress_port = StackValidationPolicy(
    name="docker-service-disallow-duplicate-ingress-port",
    description="No two swarm services of a stack publish one port in ingress mode.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_duplicate_ingress,
)


SWARM_POLICIES = [
    docker_service_disallow_static_ip,
    docker_service_disallow_joined_network_mode,
    docker_container_require_attachable_overlay,
    docker_service_require_overlay_network,
    docker_network_disallow_overlapping_overlay_subnets,
    docker_service_disallow_host_ports_beyond_nodes,
    docker_service_disallow_secret_in_env,
    docker_service_enforce_valid_name,
    docker_service_enforce_valid_replicas,
    docker_service_enforce_valid_memory_limit,
    docker_service_disallow_ingress_port_with_dnsrr,
    docker_service_disallow_duplicate_ingress_port,
]
"""The swarm rules, in README order."""
