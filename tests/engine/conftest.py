"""Session fixtures for the engine tests: the private engine, its network namespace,
stand-in images, stack plans.

The engine is the one `scripts/engine.sh` runs (its own socket under `.engine/`, its own
network namespace); if it is not running, the first engine test starts it and the session
stops it at the end. Nothing here talks to any other Docker engine on the machine. Under CI
(`CI=true`) an engine that cannot be had fails the run with the reason; elsewhere the engine
tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from components.vocabulary import PREDEFINED_NETWORKS
from plan import Plan, ProgramError, StackConfigError, load_stack_config, record_program
from tests.engine.images import Standin, StandinError, build_standins, plan_standins
from tests.engine.netns import EngineNetns
from tests.engine.realize import CONTAINER, REMOTE_IMAGE, Realization

REPO = Path(__file__).resolve().parents[2]
ENGINE_SH = REPO / "scripts" / "engine.sh"
PROGRAM = REPO / "__main__.py"

# Images the rule proofs use on their own, beside whatever the stacks name.
PROOF_IMAGES = ("busybox:latest", "httpd:latest")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"the engine tests need the private Docker engine under CI: {reason}", False)
    pytest.skip(f"engine tests skipped: {reason}")


def engine_sh(*args: str, engine_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`scripts/engine.sh args`, for this checkout's engine or the one in `engine_dir`."""
    env = None if engine_dir is None else {**os.environ, "CC_ENGINE_DIR": str(engine_dir)}
    return subprocess.run(
        ["bash", str(ENGINE_SH), *args],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip


def engine_exports(output: str) -> dict[str, str]:
    """The `export NAME=value` lines `scripts/engine.sh start|env` prints."""
    return dict(re.findall(r"^export (\w+)=(\S+)$", output, re.MULTILINE))


def _connect(host: str) -> docker.DockerClient:
    client = docker.DockerClient(base_url=host, timeout=60)
    client.ping()
    return client


def _clear(client: docker.DockerClient) -> None:
    """Remove every container and user-defined network of the private engine."""
    for container in client.containers.list(all=True):
        container.remove(force=True)
    for network in client.networks.list():
        if network.name not in PREDEFINED_NETWORKS:
            with contextlib.suppress(docker.errors.NotFound):
                network.remove()


@pytest.fixture(scope="session")
def engine_socket() -> str:
    """The host path of the private engine's socket (what `DOCKER_HOST` names)."""
    host = engine_exports(engine_sh("env").stdout).get("DOCKER_HOST", "")
    assert host.startswith("unix://"), host
    return host.removeprefix("unix://")


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    """A client of the private engine, started for this session when it is not running."""
    if not ENGINE_SH.is_file():
        _unavailable(f"{ENGINE_SH} is missing")
    env = engine_sh("env")
    host = engine_exports(env.stdout).get("DOCKER_HOST")
    if env.returncode != 0 or host is None:
        _unavailable(f"scripts/engine.sh env failed: {env.stderr.strip()}")
    assert host is not None
    started = False
    if engine_sh("status").returncode != 0:
        if os.geteuid() != 0:
            _unavailable("the private engine is not running and starting it needs root")
        result = engine_sh("start")
        if result.returncode != 0:
            _unavailable(f"scripts/engine.sh start failed: {result.stderr.strip()[-2000:]}")
        started = True
    try:
        client = _connect(host)
    except Exception as error:  # any reason the engine does not answer
        _unavailable(f"the engine at {host} does not answer: {error}")
        raise
    _clear(client)
    try:
        yield client
    finally:
        _clear(client)
        client.close()
        if started:
            result = engine_sh("stop")
            if result.returncode != 0:
                raise RuntimeError(f"scripts/engine.sh stop failed: {result.stderr}")


@pytest.fixture(scope="session")
def engine_netns(engine: docker.DockerClient) -> EngineNetns:
    """The network namespace the private engine lives in (its bridges, rules, ports)."""
    path = engine_exports(engine_sh("env").stdout).get("CC_ENGINE_NETNS")
    assert path, "scripts/engine.sh env names no CC_ENGINE_NETNS"
    netns = EngineNetns(Path(path))
    assert netns.path.exists(), f"the engine's network namespace {path} does not exist"
    return netns


# -- stack plans ---------------------------------------------------------------------------

_plans: dict[str, Plan | str | None] = {}


def _record(stack: str) -> Plan | str | None:
    """The stack's plan; the program's error as a string; None when the stack does not exist."""
    if stack not in _plans:
        stack_file = REPO / "stacks" / f"Pulumi.{stack}.yaml"
        if not PROGRAM.is_file() or not stack_file.is_file():
            _plans[stack] = None
        else:
            try:
                config = load_stack_config(REPO, stack)
                _plans[stack] = record_program(
                    PROGRAM, project=config.project, stack=config.stack, config=config.values,
                    preview=False,
                )  # fmt: skip
            except (ProgramError, StackConfigError) as error:
                _plans[stack] = f"{type(error).__name__}: {error}"
    return _plans[stack]


def stack_plan(stack: str) -> Plan:
    """The stack's plan as the program records it under mocks (an `up`, not a preview).

    Skips the calling test, with the reason, when the program or the stack does not exist yet;
    fails it with the program's message when the program fails.
    """
    plan = _record(stack)
    if plan is None:
        pytest.skip(f"stack {stack} cannot be realized: __main__.py or its stack file is missing")
    if isinstance(plan, str):
        pytest.fail(f"stack {stack}: the program fails under mocks: {plan}", False)
    return plan


def realized_stack(engine: docker.DockerClient, stack: str) -> Iterator[tuple[Plan, Realization]]:
    """The stack's plan created on the engine, and removed again when the caller is done."""
    plan = stack_plan(stack)
    realization = Realization(engine)
    try:
        realization.apply_plan(plan)
        yield plan, realization
    finally:
        realization.teardown()


def standins_for(plans: list[Plan]) -> list[Standin]:
    """A stand-in for every image the plans name, serving the ports the plans publish."""
    images: set[str] = set(PROOF_IMAGES)
    ports: dict[str, set[int]] = {}
    commands: dict[str, set[str]] = {}
    health: dict[str, set[str]] = {}
    for plan in plans:
        for registration in plan.resources:
            if registration.type == REMOTE_IMAGE:
                images.add(str(registration.inputs["name"]))
            elif registration.type == CONTAINER:
                inputs = registration.inputs
                image = str(inputs.get("image", ""))
                if not image or image.startswith("sha256:"):
                    continue
                images.add(image)
                ports.setdefault(image, set()).update(
                    int(p["internal"]) for p in inputs.get("ports") or []
                )
                argv = list(inputs.get("entrypoints") or []) or list(inputs.get("command") or [])
                if argv:
                    commands.setdefault(image, set()).add(str(argv[0]))
                check = list((inputs.get("healthcheck") or {}).get("tests") or [])
                if len(check) > 1 and check[0] == "CMD":
                    health.setdefault(image, set()).add(str(check[1]))
    return plan_standins(images, ports, commands, health)


@pytest.fixture(scope="session")
def standins(engine: docker.DockerClient) -> dict[str, Standin]:
    """Stand-in images for the proofs and for every image the dev, prod and app stacks name."""
    plans: list[Plan] = []
    for stack in ("dev", "prod", "app"):
        plan = _record(stack)
        if isinstance(plan, Plan):
            plans.append(plan)
    wanted = standins_for(plans)
    try:
        build_standins(engine, wanted)
    except StandinError as error:
        _unavailable(str(error))
    return {s.tag: s for s in wanted}


# -- per-test realizations -----------------------------------------------------------------


@pytest.fixture
def realize(
    engine: docker.DockerClient, standins: dict[str, Standin]
) -> Iterator[Callable[[], Realization]]:
    """Make `Realization`s on the engine; everything they created is removed after the test."""
    made: list[Realization] = []

    def make() -> Realization:
        realization = Realization(engine)
        made.append(realization)
        return realization

    yield make
    for realization in reversed(made):
        realization.teardown()
