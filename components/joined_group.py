"""An owner container and sidecars that share its network namespace and talk over loopback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.attachment import Attachment, attachment_problems, images_for, resolve
from components.container import (
    ContainerSpec,
    Placement,
    build_container,
    name_problems,
    spec_problems,
)
from components.images import ImageSet
from components.problems import Problem, raise_if_any

TYPE = "container-comms:index:JoinedGroup"

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
class Owner(ContainerSpec):
    """The container whose network namespace the sidecars join."""

    networks: tuple[Attachment, ...] = ()
    """Networks the owner (and so every sidecar) is on; the default bridge when empty."""
    loopback_ports: tuple[int, ...] = ()
    """Ports the owner serves on 127.0.0.1 to its sidecars, besides its published ones."""


@dataclass(frozen=True, kw_only=True)
class Sidecar(ContainerSpec):
    """A container started with network mode `container:<owner>`."""

    monitor: bool = False
    """The traffic-monitor preset: adds NET_RAW and NET_ADMIN, nothing else."""


@dataclass(frozen=True)
class JoinedGroupArgs:
    """An owner and the sidecars that share its network namespace."""

    owner_name: str
    """The owner's container name; sidecars join `container:<owner_name>`."""
    owner: Owner
    """The owner's spec and networks."""
    sidecars: Mapping[str, Sidecar]
    """The sidecars by container name."""
    images: ImageSet | None = None
    """A shared image set; the group pulls its own images when None."""


class JoinedGroup(pulumi.ComponentResource):
    """An owner container kept running, with sidecars reaching its services on 127.0.0.1."""

    owner_name: str
    """The owner's container name."""
    network_mode: str
    """The network mode of every sidecar: `container:<owner_name>`."""
    loopback_endpoints: list[str]
    """`127.0.0.1:<port>` for each service of the owner the sidecars reach."""
    owner_addresses: dict[str, str]
    """The owner's static address on each network where it has one."""
    owner_container: docker.Container
    """The owner's container resource."""
    sidecar_containers: dict[str, docker.Container]
    """The sidecars' container resources, by container name."""

    def __init__(
        self, name: str, args: JoinedGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        raise_if_any(f'joined group "{name}"', joined_group_problems(args))
        super().__init__(
            TYPE, name, {"owner": args.owner_name, "sidecars": list(args.sidecars)}, opts
        )
        images = images_for(args.images, name, self)
        self.owner_name = args.owner_name
        self.network_mode = f"container:{args.owner_name}"
        attachments: list[tuple[str, tuple[str, ...], str | None]] = []
        depends: list[pulumi.Resource] = []
        for attachment in args.owner.networks:
            wire, needs = resolve(attachment, f'container "{args.owner_name}"')
            attachments.append(wire)
            depends += needs
        self.owner_addresses = {net: addr for net, _, addr in attachments if addr is not None}
        self.owner_container = build_container(
            f"{name}-{args.owner_name}",
            args.owner_name,
            args.owner,
            group=name,
            role="joined-owner",
            placement=Placement(attachments=tuple(attachments)),
            images=images,
            parent=self,
            depends_on=depends,
        )
        self.sidecar_containers = {
            sidecar_name: build_container(
                f"{name}-{sidecar_name}",
                sidecar_name,
                sidecar,
                group=name,
                role="joined-sidecar",
                placement=Placement(network_mode=self.network_mode),
                images=images,
                parent=self,
                depends_on=[self.owner_container],
                monitor=sidecar.monitor,
            )
            for sidecar_name, sidecar in args.sidecars.items()
        }
        ports = {*args.owner.loopback_ports, *(p.internal for p in args.owner.ports)}
        self.loopback_endpoints = [f"127.0.0.1:{port}" for port in sorted(ports)]
        self.register_outputs(
            {
                "ownerName": self.owner_name,
                "networkMode": self.network_mode,
                "loopbackEndpoints": self.loopback_endpoints,
                "ownerAddresses": self.owner_addresses,
            }
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


def joined_group_problems(args: JoinedGroupArgs) -> list[Problem]:
    """What the engine would refuse, or silently ignore, in a joined group."""
    problems = name_problems("owner_name", args.owner_name)
    problems += [p.under("owner") for p in spec_problems(args.owner)]
    for index, attachment in enumerate(args.owner.networks):
        problems += [p.under(f"owner.networks[{index}]") for p in attachment_problems(attachment)]
    for index, port in enumerate(args.owner.loopback_ports):
        if not 1 <= port <= 65535:
            problems.append(
                Problem(f"owner.loopback_ports[{index}]", f"{port} is not a port (1-65535)")
            )
    for sidecar_name, sidecar in args.sidecars.items():
        at = f"sidecars.{sidecar_name}"
        problems += name_problems(at, sidecar_name)
        problems += [p.under(at) for p in spec_problems(sidecar)]
        problems += [p.under(at) for p in sidecar_problems(sidecar, args.owner_name)]
        if sidecar_name == args.owner_name:
            problems.append(
                Problem(f"{at}", f'"{sidecar_name}" is the owner\'s name; name the sidecar apart')
            )
    return problems
