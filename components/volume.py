"""Named volumes: created by the program and shared between containers, or external."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from .checking import checked
from .naming import container_name_problem
from .problems import Problem, raise_if_any
from .vocabulary import NAME_CHARS, NAMED_VOLUME_TYPE

TYPE = NAMED_VOLUME_TYPE


@dataclass(frozen=True)
class NamedVolumeArgs:
    """A Docker volume."""

    volume_name: str | None = None
    """The volume's name on the engine; the component's name when None."""
    external: bool = False
    """The volume exists already: it is used, never created or deleted."""
    driver: str | None = None
    """The volume driver; the engine's `local` when None."""
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    """The driver's options."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the volume."""


class NamedVolume(pulumi.ComponentResource):
    """A named volume that containers mount; an external one registers no resource."""

    volume_name: str
    """The volume's name on the engine (known before deployment)."""
    external: bool
    """Whether the volume is used but not managed."""
    volume: docker.Volume | None
    """The volume resource; None for an external volume."""
    name: pulumi.Output[str]
    """The volume's name as an Output: a resource that uses it depends on the volume."""

    def __init__(
        self, name: str, args: NamedVolumeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = checked(f'volume "{name}"', args, NamedVolumeArgs)
        volume_name = args.volume_name or name
        raise_if_any(f'volume "{volume_name}"', volume_args_problems(volume_name, args))
        super().__init__(TYPE, name, None, opts)
        self.volume_name = volume_name
        self.external = args.external
        self.volume = None
        if not args.external:
            self.volume = docker.Volume(
                f"{name}-volume",
                name=volume_name,
                driver=args.driver,
                driver_opts=dict(args.driver_opts) or None,
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in args.labels.items()]
                or None,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.name = (
            self.volume.name if self.volume is not None else pulumi.Output.from_input(volume_name)
        )
        self.register_outputs({"volumeName": volume_name, "external": args.external})


def volume_args_problems(volume_name: str, args: NamedVolumeArgs) -> list[Problem]:
    """What the engine would refuse about a volume's settings."""
    problems: list[Problem] = []
    if container_name_problem(volume_name):
        problems.append(
            Problem(
                "volume_name",
                f'"{volume_name}" is not a valid volume name: the engine wants two or more '
                f"characters of {NAME_CHARS}",
            )
        )
    if args.external and (args.driver or args.driver_opts or args.labels):
        problems.append(
            Problem("external", "an external volume is not managed; remove driver, options, labels")
        )
    return problems
