"""Network values the engine parses: extra hosts, DNS servers, IPC modes, a network's driver
options, and host ports. Each value is matched whole, as the engine's Go parsers match it (a
trailing newline or a zone never passes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._ipam import Address
from ._props import (
    NETWORK,
    Unknown,
    finish,
    is_unknown,
    items,
    number,
    parse_address,
    port_number,
    record,
    text,
    unwrap,
)
from ._stack import ContainerEntry, NetworkEntry, StackIndex
from ._subject import Subject, for_subjects
from .vocabulary import BRIDGE_NAME_OPTION, IPC_MODES, MTU_OPTION, driver_row

_ATOI: Final = re.compile(r"[+-]?[0-9]+")
"""What Go's strconv.Atoi parses (matched whole)."""


def shown(value: str) -> str:
    """A user value as messages show it: quoted, control characters escaped (like Go's %q)."""
    return json.dumps(value, ensure_ascii=False)


# -- extra hosts -------------------------------------------------------------------------------


@for_subjects(services=True)
def _extra_hosts(subject: Subject) -> Iterator[str]:
    hosts = subject.read(items, "hosts")
    if isinstance(hosts, Unknown):
        subject.undecided(f"the hosts of {subject.subject} are")
        return
    for index, entry in enumerate(hosts):
        ip, host = text(entry, "ip"), text(entry, "host")
        if isinstance(ip, Unknown):
            subject.undecided(f"an extra host's address of {subject.subject} is")
            continue
        if ip is None or parse_address(ip) is not None:
            continue
        where = f"{subject.where('hosts')}[{index}].ip {shown(ip)}"
        if isinstance(host, str):
            where += f" (host {shown(host)})"
        if parse_address(ip.strip()) is not None:
            yield (
                f"{where} has white space around the address; the engine accepts it and writes it "
                "into the container's /etc/hosts as given, which breaks the entry; write the "
                "address alone"
            )
        else:
            yield (
                f"{where} is not an IP address (an IPv6 address takes no %zone); the engine "
                f'refuses the container with "invalid IP address in add-host: {shown(ip)}"; '
                "write an IPv4 or IPv6 address, e.g. 172.22.16.10"
            )


docker_container_enforce_valid_extra_host = ResourceValidationPolicy(
    name="docker-container-enforce-valid-extra-host",
    description=(
        "Every extra host of a container or a swarm service maps a name to an IP address, "
        "written alone and without a zone."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_extra_hosts,
)


# -- DNS servers -------------------------------------------------------------------------------


@for_subjects(services=True)
def _dns_servers(subject: Subject) -> Iterator[str]:
    servers = subject.read(items, "dns")
    if isinstance(servers, Unknown):
        subject.undecided(f"the DNS servers of {subject.subject} are")
        return
    for index, server in enumerate(servers):
        if is_unknown(server):
            subject.undecided(f"a DNS server of {subject.subject} is")
            continue
        if not isinstance(server, str) or not server:
            continue
        if parse_address(server.strip()) is not None or _zoned(server):
            continue  # white space around it ends up as a blank line of resolv.conf: harmless
        yield (
            f"{subject.where('dns')}[{index}] {shown(server)} is not an IP address; the engine "
            "accepts it and writes it into the container's /etc/resolv.conf as given, where the "
            "resolver cannot use it (alone, it leaves the container no name server; a line break "
            "in it writes resolver lines of its own); give the server's IP address, e.g. "
            "172.22.16.53"
        )


def _zoned(server: str) -> bool:
    """A link-local IPv6 name server with its zone (`fe80::1%eth0`), which resolv.conf takes."""
    address, sep, zone = server.partition("%")
    return bool(sep and zone.isalnum() and parse_address(address) is not None)


docker_container_enforce_valid_dns_server = ResourceValidationPolicy(
    name="docker-container-enforce-valid-dns-server",
    description="Every DNS server a container or a swarm service is given is an IP address.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_dns_servers,
)


# -- IPC modes ---------------------------------------------------------------------------------


def _ipc_modes(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        mode = text(container.props, "ipcMode")
        if isinstance(mode, Unknown):
            # The provider computes it when none is given (the engine's default, private), so
            # a stack rule sees it unknown at preview for every container that sets none; one
            # that sets it sees its value. A joiner always sets it: nothing is left out.
            continue
        if mode is None or mode in IPC_MODES:
            continue
        head = f'container "{label}": ipcMode {shown(mode)}'
        if mode.startswith("container:") and mode != "container:":
            _ipc_donor(index, container, mode[len("container:") :], unknowns, report)
            continue
        if mode.startswith("service:"):
            fix = (
                "a compose `ipc: service:<name>` becomes `container:<container name>` of that "
                "service's container; write that"
            )
        else:
            fix = 'write "private", "shareable", "none", "host" or "container:<name>"'
        report(
            f"{head} is not an IPC mode; the engine creates the container and refuses to start "
            f'it with "Invalid IPC mode: {mode}"; {fix}.'
            if mode.isprintable()
            else f"{head} is not an IPC mode; the engine creates the container and refuses to "
            f'start it with "Invalid IPC mode"; {fix}.',
            container.urn,
        )
    finish(args, unknowns)


def _ipc_donor(
    index: StackIndex,
    container: ContainerEntry,
    target: str,
    unknowns: list[str],
    report: ReportViolation,
) -> None:
    donor = index.container_named(target)
    if donor is None:
        return  # a container outside the stack: its IPC mode is not known here
    donor_mode = text(donor.props, "ipcMode")
    if isinstance(donor_mode, Unknown):
        unknowns.append(f'the ipcMode of container "{donor.view.label}" is')
        return
    if donor_mode not in (None, "private", "none"):
        return
    given = (
        "none (private, the default of engines from 20.10)"
        if donor_mode is None
        else shown(donor_mode)
    )
    report(
        f'container "{container.view.label}": ipcMode "container:{target}" joins the IPC '
        f'namespace of container "{donor.view.label}", whose ipcMode is {given}; the engine '
        "refuses to start the joiner with \"can't join IPC of container <id>: non-shareable IPC "
        '(hint: use IpcMode:shareable for the donor container)"; give container '
        f'"{donor.view.label}" ipcMode "shareable".',
        container.urn,
    )


docker_container_enforce_valid_ipc_mode = StackValidationPolicy(
    name="docker-container-enforce-valid-ipc-mode",
    description=(
        "A container's IPC mode is one the engine knows, and a container joins the IPC "
        "namespace only of a container of the stack whose IPC mode is shareable."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_ipc_modes,
)


# -- a network's driver options ----------------------------------------------------------------


def _driver_options(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != NETWORK:
        return
    props = unwrap(args.props)
    label = name if isinstance(name := text(props, "name"), str) else args.name
    options = record(props, "options")
    if isinstance(options, Unknown):
        finish(args, [f'the options of network "{label}" are'])
        return
    mtu = unwrap(options.get(MTU_OPTION))
    if is_unknown(mtu):
        finish(args, [f'the MTU option of network "{label}" is'])
        return
    if not isinstance(mtu, str):
        return
    head = f'network "{label}": options "{MTU_OPTION}" {shown(mtu)}'
    if not _ATOI.fullmatch(mtu) or len(mtu.lstrip("+-")) > 18:
        report(
            f"{head} is not a whole number; the engine refuses the network with "
            f'"failed to parse {MTU_OPTION} value: {mtu} (strconv.Atoi: parsing {shown(mtu)}: '
            'invalid syntax)"; write the MTU in digits alone, e.g. "1450".',
            None,
        )
    elif int(mtu) < 0:
        report(
            f'{head} is negative; the engine refuses the network with "invalid MTU number: '
            f'{mtu}"; write a positive MTU, e.g. "1450".',
            None,
        )


docker_network_enforce_valid_driver_options = ResourceValidationPolicy(
    name="docker-network-enforce-valid-driver-options",
    description="A network's MTU option is a whole number the engine parses, not negative.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_driver_options,
)


def _bridge_names(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    first: dict[str, NetworkEntry] = {}
    unknowns: list[str] = []
    for network in index.networks:
        if isinstance(network.driver, Unknown):
            continue
        row = driver_row(network.driver)
        if row is None or not row.names_bridge:
            continue
        options = record(_props_of(args, network.urn), "options")
        if isinstance(options, Unknown):
            # Computed by the provider when none are given, so unknown at preview then; a
            # network given options shows them.
            continue
        bridge = unwrap(options.get(BRIDGE_NAME_OPTION))
        if not isinstance(bridge, str) or not bridge:
            continue
        holder = first.setdefault(bridge, network)
        if holder is not network:
            report(
                f'network "{network.label}": options "{BRIDGE_NAME_OPTION}" {shown(bridge)} is '
                f'also the bridge of network "{holder.label}"; the engine refuses the second with '
                f'"cannot create network <id> ({bridge}): conflicts with network <id> ({bridge}): '
                'networks have same bridge name"; give each network a bridge name of its own.',
                network.urn,
            )
    finish(args, unknowns)


def _props_of(args: StackValidationArgs, urn: str) -> Any:
    for resource in args.resources:
        if resource.urn == urn:
            return unwrap(resource.props)
    return {}


docker_network_disallow_duplicate_bridge_name = StackValidationPolicy(
    name="docker-network-disallow-duplicate-bridge-name",
    description="No two bridge networks of a stack name one Linux bridge.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_bridge_names,
)


# -- host ports --------------------------------------------------------------------------------


def _host_ports(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    taken: dict[tuple[Address, int, str], tuple[ContainerEntry, str]] = {}
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        ports = items(container.props, "ports")
        if isinstance(ports, Unknown):
            unknowns.append(f'the ports of container "{label}" are')
            continue
        for position, port in enumerate(ports):
            external = number(port, "external")
            ip = text(port, "ip")
            protocol = text(port, "protocol")
            if any(isinstance(v, Unknown) for v in (external, ip, protocol)):
                unknowns.append(f'a port of container "{label}" is')
                continue
            if not isinstance(external, float) or external <= 0:
                continue  # the engine picks a free port
            address = parse_address(ip if isinstance(ip, str) else "0.0.0.0")
            if address is None:
                continue
            proto = protocol if isinstance(protocol, str) else "tcp"
            written = ip if isinstance(ip, str) else "0.0.0.0"
            key = (address, int(external), proto)
            if key not in taken:
                taken[key] = (container, written)
                continue
            other, other_written = taken[key]
            same = "" if other_written == written else f" (written {shown(other_written)})"
            owner = "this container" if other is container else f'container "{other.view.label}"'
            report(
                f'container "{label}": ports[{position}] publishes host port '
                f"{port_number(external)}/{proto} on {shown(written)}, which {owner} already "
                f"publishes on the same address{same}; the engine refuses to start the second "
                f'with "Bind for {address}:{port_number(external)} failed: port is already '
                'allocated"; publish another host port.',
                container.urn,
            )
    finish(args, unknowns)


docker_container_disallow_duplicate_host_port = StackValidationPolicy(
    name="docker-container-disallow-duplicate-host-port",
    description=(
        "No two port bindings of a stack's containers publish one host port and protocol on "
        "one host address, however the address is spelled (`::1` and `0:0:0:0:0:0:0:1`)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_host_ports,
)


NETWORK_VALUE_POLICIES = [
    docker_container_enforce_valid_extra_host,
    docker_container_enforce_valid_dns_server,
    docker_container_enforce_valid_ipc_mode,
    docker_network_enforce_valid_driver_options,
    docker_network_disallow_duplicate_bridge_name,
    docker_container_disallow_duplicate_host_port,
]
"""The rules on network values the engine parses, in README order."""
