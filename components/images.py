"""Images: each distinct image pulled once, or taken as already present on the engine."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.naming import slug

TYPE = "container-comms:index:ImageSet"


@dataclass(frozen=True)
class ImageSetArgs:
    """How the images of a set of containers reach the engine."""

    pull: bool = True
    """Pull each image with a `docker.RemoteImage` (the engine does not pull on create);
    False uses images already present on the engine (air-gapped hosts)."""


class ImageSet(pulumi.ComponentResource):
    """The images a topology's containers run, each pulled at most once.

    Share one `ImageSet` between components so that an image used by several groups is
    pulled by a single `docker.RemoteImage`; containers depend on the pull of their image.
    """

    pulled: dict[str, docker.RemoteImage]
    """The pulls made so far, by image reference."""

    def __init__(
        self, name: str, args: ImageSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, {"pull": args.pull}, opts)
        self._name = name
        self._pull = args.pull
        self.pulled = {}
        self.register_outputs({"pull": args.pull})

    def pulls_for(self, image: str) -> list[pulumi.Resource]:
        """What a container running `image` depends on: its pull, made on first request."""
        if not self._pull:
            return []
        if image not in self.pulled:
            self.pulled[image] = docker.RemoteImage(
                f"{self._name}-{slug(image)}",
                name=image,
                keep_locally=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return [self.pulled[image]]
