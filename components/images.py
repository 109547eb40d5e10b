"""Images: each distinct image pulled once, built from a Dockerfile, or taken as present."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from .checking import checked
from .naming import slug
from .problems import ComponentError, Location, Problem, render_path
from .vocabulary import IMAGE_SET_TYPE

TYPE = IMAGE_SET_TYPE


@dataclass(frozen=True)
class BuildSpec:
    """An image built from a Dockerfile on the engine (never pushed)."""

    context: str
    """The build context folder: absolute, or relative to the Pulumi program's folder (where
    the provider runs); stack config paths are relative to the project folder."""
    dockerfile: str | None = None
    """The Dockerfile, relative to the context (as in compose); `Dockerfile` when None."""
    args: Mapping[str, str] = field(default_factory=dict)
    """Build arguments."""
    target: str | None = None
    """The stage to build in a multi-stage Dockerfile."""


@dataclass(frozen=True)
class ImageSetArgs:
    """How the images of a set of containers reach the engine."""

    pull: bool = True
    """Pull each image with a `docker.RemoteImage` (the engine does not pull on create);
    False uses images already present on the engine (air-gapped hosts). A container's own
    `pull` setting overrides this for its image."""


ImageInput = str | pulumi.Output[str] | docker.RemoteImage | docker.Image
"""An image reference (`busybox:1.36`), or an image the program pulls or builds itself: a
`docker.RemoteImage` (its image id is used), a `docker.Image` (its image name), or an Output of
a reference; a resource or an Output makes the container depend on it."""


def image_reference(image: ImageInput) -> pulumi.Input[str]:
    """What the provider is given for `image`."""
    if isinstance(image, docker.RemoteImage):
        return image.image_id
    if isinstance(image, docker.Image):
        return image.image_name
    return image


def build_problems(
    containers: Iterable[tuple[Location, ImageInput, BuildSpec | None]],
) -> list[Problem]:
    """Images built twice with different settings, or built for one container and pulled for
    another; `containers` are (field path, image, build)."""
    found = list(containers)
    builds: dict[str, tuple[Location, BuildSpec]] = {}
    for at, image, build in found:
        if isinstance(image, str) and build is not None:
            builds.setdefault(image, (at, build))
    problems: list[Problem] = []
    for at, image, build in found:
        if not isinstance(image, str) or image not in builds:
            continue
        first, settings = builds[image]
        first_at = render_path(first)
        if build is None:
            problems.append(
                Problem(
                    (*at, "image"),
                    f'"{image}" is built for {first_at}, and a pull of that tag would race the '
                    "build; give this container the same build",
                )
            )
        elif build != settings:
            problems.append(
                Problem(
                    (*at, "build"),
                    f'builds "{image}" with other settings than {first_at}; one tag is built '
                    "once, so give both the same build or tag them apart",
                )
            )
    return problems


class ImageSet(pulumi.ComponentResource):
    """The images a topology's containers run, each pulled or built at most once.

    Share one `ImageSet` between components so that an image used by several groups is
    pulled by a single `docker.RemoteImage`; containers depend on the pull or build of their
    image. Built images are `docker.Image` resources with `skip_push`, tagged with the
    container's `image` reference.
    """

    pulled: dict[str, docker.RemoteImage]
    """The pulls made so far, by image reference."""
    built: dict[str, docker.Image]
    """The builds made so far, by image reference."""

    def __init__(
        self, name: str, args: ImageSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = checked(f'image set "{name}"', args, ImageSetArgs)
        super().__init__(TYPE, name, None, opts)
        self._name = name
        self._pull = args.pull
        self.pulled = {}
        self._children: dict[str, str] = {}
        self.built = {}
        self._builds: dict[str, BuildSpec] = {}
        self.register_outputs({"pull": args.pull})

    def _child(self, image: str, role: str) -> str:
        """`<set>-<role><slug of image>`; a slug already taken by another image (`busybox:1.36`
        and `busybox-1.36`) gets a short hash of the reference, so no two share a URN."""
        name = f"{self._name}-{role}{slug(image)}"
        holder = self._children.setdefault(name, image)
        if holder != image:
            digest = hashlib.sha256(image.encode()).hexdigest()[:8]
            name = f"{name}-{digest}"
            self._children[name] = image
        return name

    def pulls_for(
        self, image: str, pull: bool | None = None, platform: str | None = None
    ) -> list[pulumi.Resource]:
        """What a container running `image` depends on: its pull, made on first request (one
        per image and platform; `platform` None is the engine's own)."""
        if not (self._pull if pull is None else pull):
            return []
        key = image if platform is None else f"{image}@platform={platform}"
        if key not in self.pulled:
            self.pulled[key] = docker.RemoteImage(
                self._child(key, ""),
                name=image,
                keep_locally=True,
                platform=platform,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return [self.pulled[key]]

    def build(self, image: str, spec: BuildSpec) -> docker.Image:
        """The build of `image` from `spec`, made on first request.

        Raises `ComponentError` when `image` was already asked for with another build
        (`build_problems` finds that before anything is registered).
        """
        if image in self.built:
            if self._builds[image] != spec:
                raise ComponentError(
                    f'image set "{self._name}"',
                    [Problem(image, "is built twice with different settings; build it once")],
                )
            return self.built[image]
        self._builds[image] = spec
        self.built[image] = docker.Image(
            self._child(image, "build-"),
            image_name=image,
            skip_push=True,
            build=docker.DockerBuildArgs(
                context=spec.context,
                # The provider takes the Dockerfile's own path (relative to where it runs),
                # not one relative to the context.
                dockerfile=os.path.join(spec.context, spec.dockerfile) if spec.dockerfile else None,
                args=dict(spec.args) or None,
                target=spec.target,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.built[image]

    def image_for(
        self,
        image: ImageInput,
        build: BuildSpec | None,
        pull: bool | None,
        platform: str | None = None,
    ) -> tuple[pulumi.Input[str], list[pulumi.Resource]]:
        """The image input of a container and what the container depends on.

        An image given as a resource or an Output (one pulled or built elsewhere in the
        program) is used as it is: the Output carries its own dependency.
        """
        if not isinstance(image, str):
            return image_reference(image), []
        if build is not None:
            built = self.build(image, build)
            return built.image_name, [built]
        return image, self.pulls_for(image, pull, platform)
