"""Commands run inside containers on the private engine, and Registration builders."""

from __future__ import annotations

from typing import Any

from plan import SECRET_SIG, Registration
from tests.engine.realize import CONTAINER, NETWORK, VOLUME

PROJECT = "proof"
STACK = "engine"


def sh(container: Any, script: str) -> tuple[int, str]:
    """Run `sh -c script` in a running container: (exit code, stdout and stderr)."""
    code, output = container.exec_run(["sh", "-c", script], demux=False)
    return int(code), (output or b"").decode("utf-8", "replace").strip()


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


def network(name: str, **inputs: Any) -> Registration:
    """A `docker.Network` registration named `name` (engine name too)."""
    return Registration(
        urn=urn(NETWORK, name), type=NETWORK, name=name, custom=True, parent="",
        inputs={"name": name, **inputs},
    )  # fmt: skip


def container(
    name: str, *, depends_on: tuple[Registration, ...] = (), **inputs: Any
) -> Registration:
    """A `docker.Container` registration named `name`; busybox sleeping unless told otherwise."""
    wire = {"name": name, "image": "busybox:latest", "command": ["sleep", "3600"], **inputs}
    return Registration(
        urn=urn(CONTAINER, name), type=CONTAINER, name=name, custom=True, parent="",
        inputs=wire, dependencies=tuple(r.urn for r in depends_on),
    )  # fmt: skip


def volume(name: str, **inputs: Any) -> Registration:
    """A `docker.Volume` registration named `name` (engine name too)."""
    return Registration(
        urn=urn(VOLUME, name), type=VOLUME, name=name, custom=True, parent="",
        inputs={"name": name, **inputs},
    )  # fmt: skip


def secret(text: str) -> dict[str, str]:
    """`text` as a secret value on the wire."""
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": text}
