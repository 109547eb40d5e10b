"""Shared helpers for the offline preview's tests: run the command in-process, make projects."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from preview.cli import main

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TINY = HERE / "fixtures" / "tiny"
PACKS = HERE / "packs"
REAL_PACK = REPO / "policies"


@dataclass
class Outcome:
    """What one run of `python -m preview` returned and printed."""

    code: int
    out: str
    err: str


def run_preview(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Run the preview command in this process and capture what it prints."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def real_project(tmp_path: Path, stacks: dict[str, str]) -> Path:
    """A copy of the real project whose `stacks/` holds only the given stack files."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, project / name)
    (project / "components").symlink_to(REPO / "components")
    for stack, text in stacks.items():
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return project
