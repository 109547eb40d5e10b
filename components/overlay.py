"""An overlay network: the swarm-scoped network on which swarm services resolve each other."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .checking import checked
from .network import UserDefinedNetwork, UserDefinedNetworkArgs
from .vocabulary import OVERLAY_NETWORK_TYPE

TYPE = OVERLAY_NETWORK_TYPE

ENCRYPTED_OPTION = "encrypted"
"""The overlay driver's option that encrypts the traffic between nodes (IPsec); the Docker CLI
writes it with an empty value (`docker network create --opt encrypted`)."""


@dataclass(frozen=True)
class OverlayNetworkArgs(UserDefinedNetworkArgs):
    """A Docker overlay network, created on a swarm manager and spanning the swarm's nodes."""

    attachable: bool = False
    """Standalone containers (a joined group, a DNS group) may join it besides services; the
    engine refuses them on a network that is not (`network ... not manually attachable`)."""
    encrypted: bool = False
    """Encrypt the traffic between nodes (the overlay driver's `encrypted` option)."""


class OverlayNetwork(UserDefinedNetwork):
    """An overlay network with a configured subnet: services on it resolve each other by name
    (their virtual IP, or each task with endpoint mode `dnsrr`) and `tasks.<service>`.

    Its subnet is allocated by the swarm's global address space: one overlapping another
    overlay's is accepted at create, then never allocated, and services on it never start.
    Standalone containers on an attachable overlay may take static addresses from its subnet,
    as on a bridge; services cannot.
    """

    attachable: bool
    """Whether standalone containers may join it."""
    encrypted: bool
    """Whether traffic between nodes is encrypted."""

    def __init__(
        self,
        name: str,
        args: OverlayNetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        driver: str | None = None,
    ) -> None:
        """`driver`: a driver whose row in `NETWORK_DRIVERS` names this component; `overlay`
        when None."""
        args = checked(f'overlay network "{name}"', args, OverlayNetworkArgs)
        self.attachable = args.attachable
        self.encrypted = args.encrypted
        self._register(
            TYPE,
            name,
            args,
            opts,
            driver=driver,
            attachable=args.attachable,
            options={ENCRYPTED_OPTION: ""} if args.encrypted else None,
        )
