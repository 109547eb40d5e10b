"""Commands run inside containers on the private engine, polling with a deadline, and
Registration builders.

A proof that something works (a ping, a lookup, a page) polls until a deadline instead of
trusting one try: a container that has just started, a bridge port still in the learning state
or a proxy not yet listening make a first try fail on a busy machine. On timeout the failure
names what was checked, how many times, and the last thing observed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from plan import SECRET_SIG, Registration
from tests.engine.realize import CONTAINER, NETWORK, VOLUME

PROJECT = "proof"
STACK = "engine"

# How long a proof that something works keeps trying.
DEADLINE_S = 15.0
_INTERVAL_S = 0.25

T = TypeVar("T")


def eventually(
    check: Callable[[], T],
    *,
    what: str,
    deadline: float = DEADLINE_S,
    interval: float = _INTERVAL_S,
) -> T:
    """`check()`'s result once it stops raising AssertionError, retried until `deadline` s.

    On timeout raises AssertionError with `what`, the number of tries, the time spent and the
    last observation (the message of the last AssertionError).
    """
    started = time.monotonic()
    tries = 0
    while True:
        tries += 1
        try:
            return check()
        except AssertionError as error:
            last = str(error)
        elapsed = time.monotonic() - started
        if elapsed >= deadline:
            raise AssertionError(
                f"{what}: still failing after {tries} tries in {elapsed:.1f} s; last: {last}"
            )
        time.sleep(min(interval, max(deadline - elapsed, 0.0)))


def sh(container: Any, script: str) -> tuple[int, str]:
    """Run `sh -c script` in a running container once: (exit code, stdout and stderr)."""
    code, output = container.exec_run(["sh", "-c", script], demux=False)
    return int(code), (output or b"").decode("utf-8", "replace").strip()


def sh_until(
    container: Any,
    script: str,
    ok: Callable[[int, str], bool] = lambda code, _out: code == 0,
    *,
    context: str = "",
    deadline: float = DEADLINE_S,
) -> tuple[int, str]:
    """Run `sh -c script` in `container` until `ok(code, output)`; (code, output) of that run.

    Fails with `context`, the container, the script and the last (code, output) when the
    deadline passes.
    """

    def attempt() -> tuple[int, str]:
        code, out = sh(container, script)
        assert ok(code, out), f"exit {code}: {out!r}"
        return code, out

    what = f"{container.name}: {script}"
    return eventually(attempt, what=f"{context}: {what}" if context else what, deadline=deadline)


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
