"""Compose's own names on the engine: `docker compose up` of a file that sets `name: shop` in
folder `myshop`, with no `-p`, creates `shop-db-1`, `shop_pgdata` and `shop_default`; the
program's plan for the same file without `composeProject` names the same container, volume and
network, so a migrated app comes up on the volume that holds its data."""

from __future__ import annotations

import os
import subprocess
import tempfile

import docker
import pytest

from components.compose_file import compose_binary
from plan import record_program
from tests.engine.conftest import REPO, engine_exports, engine_sh
from tests.engine.images import Standin

pytestmark = pytest.mark.engine

FILE = "tests/compose/names/myshop/compose.yaml"
PROJECT = "container-comms"


def _compose(*args: str) -> None:
    host = engine_exports(engine_sh("env").stdout).get("DOCKER_HOST")
    assert host, "scripts/engine.sh env names no DOCKER_HOST"
    with tempfile.TemporaryDirectory(prefix="compose-names-") as config:
        env = {
            "DOCKER_HOST": host,
            "DOCKER_CONFIG": config,
            "HOME": config,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        done = subprocess.run(
            [str(compose_binary()), "-f", str(REPO / FILE), *args],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=180, check=False,
        )  # fmt: skip
    assert done.returncode == 0, f"docker compose {' '.join(args)}: {done.stderr.strip()}"


def test_named_project_gets_composes_names_on_the_engine_and_in_the_plan(
    engine: docker.DockerClient,
    standins: dict[str, Standin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "busybox:latest" in standins
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    label = "com.docker.compose.project=shop"
    _compose("up", "-d")
    try:
        containers = sorted(
            c.name for c in engine.containers.list(all=True, filters={"label": label})
        )
        volumes = sorted(v.name for v in engine.volumes.list(filters={"label": label}))
        networks = sorted(n.name for n in engine.networks.list(filters={"label": label}))
    finally:
        _compose("down", "-v")
    assert (containers, volumes, networks) == (["shop-db-1"], ["shop_pgdata"], ["shop_default"])
    plan = record_program(
        REPO / "__main__.py",
        project=PROJECT,
        stack="names",
        config={f"{PROJECT}:composeFile": FILE},
        preview=True,
    )
    planned = tuple(
        sorted(r.inputs["name"] for r in plan.of_type(kind))
        for kind in (
            "docker:index/container:Container",
            "docker:index/volume:Volume",
            "docker:index/network:Network",
        )
    )
    assert planned == (containers, volumes, networks)
