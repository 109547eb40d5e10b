"""The declared dependency ranges are the ones the range runs proved.

`scripts/test-ranges.sh` resolves the lowest (`uv --resolution lowest-direct`) and the highest
versions that pyproject.toml's `dependencies` admit, writes them to requirements-lowest.txt
and requirements-highest.txt, and runs the unit and policy tests against each
(docs/dependencies.md). These checks hold the declaration to those files without a resolver:
every dependency is a range with both ends, its lower bound is exactly what the lowest run
installed, and the highest run and the repository's own pins fall inside it.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import PROJECT_DIR

PYPROJECT = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
DECLARED = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]


def pins(*names: str) -> dict[str, Version]:
    """`name==version` lines of requirements files (comments and `-r` lines skipped)."""
    found = {}
    lines = [line for name in names for line in (PROJECT_DIR / name).read_text().splitlines()]
    for line in lines:
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def lower_bound(requirement: Requirement) -> Version:
    [low] = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return low


def test_every_dependency_is_a_range_with_both_ends() -> None:
    for requirement in DECLARED:
        operators = sorted(s.operator for s in requirement.specifier)
        assert operators == ["<", ">="], f"{requirement}: give a range (>=lowest,<next major)"


@pytest.mark.parametrize("requirement", DECLARED, ids=str)
def test_lower_bound_is_what_the_lowest_run_installed(requirement: Requirement) -> None:
    lowest = pins("requirements-lowest.txt")
    assert lowest[canonicalize_name(requirement.name)] == lower_bound(requirement)


@pytest.mark.parametrize(
    "lock", [("requirements-highest.txt",), ("requirements.txt", "policies/requirements.txt")]
)
def test_highest_run_and_the_repositorys_pins_fall_inside_the_ranges(
    lock: tuple[str, ...],
) -> None:
    pinned = pins(*lock)
    for requirement in DECLARED:
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{lock}: {requirement.name}=={version}"
