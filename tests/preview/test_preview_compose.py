"""The gate on a compose import: a mistyped stack key is refused where it is written, and
Compose's warnings reach the report and the JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.preview.helpers_preview import REAL_PACK, real_project, run_preview

COMPOSE = """\
version: "3.8"
services:
  app:
    image: busybox:1.36
    environment: ["TAG=${TAG}"]
"""


def _project(tmp_path: Path, stack: str) -> Path:
    project = real_project(tmp_path, {"shop": stack})
    (project / "myshop").mkdir()
    (project / "myshop" / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    return project


def test_mistyped_stack_key_stops_the_gate_at_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(
        tmp_path,
        "config:\n  container-comms:composeFile: myshop/compose.yaml\n"
        "  container-comms:composeProfile: [debug]\n",
    )
    outcome = run_preview(capsys, "shop", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        f"error (program): {project}/stacks/Pulumi.shop.yaml:3: composeProfile: unknown stack "
        'key "container-comms:composeProfile"; did you mean composeProfiles?'
    ]


def test_compose_warnings_reach_the_report_and_the_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    project = _project(tmp_path, "config:\n  container-comms:composeFile: myshop/compose.yaml\n")
    target = tmp_path / "out.json"
    outcome = run_preview(
        capsys,
        "shop",
        "--project",
        str(project),
        "--pack",
        str(REAL_PACK),
        "--json",
        str(target),
    )
    assert outcome.code == 0, outcome
    warnings = [
        'myshop/compose.yaml: The "TAG" variable is not set. Defaulting to a blank string',
        "myshop/compose.yaml: the attribute `version` is obsolete, it will be ignored, please "
        "remove it to avoid potential confusion",
    ]
    report = outcome.out.split("Diagnostics:\n", 1)[1].split("\n\n", 1)[0]
    assert report.splitlines() == [
        "  pulumi:pulumi:Stack (container-comms-shop):",
        *(f"    warning: {w}" for w in warnings),
    ]
    assert json.loads(target.read_text(encoding="utf-8"))["warnings"] == warnings
