"""The one recorder the tests share: programs and components run under `plan`'s mocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plan import Plan, load_stack_config, record, record_program

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROGRAM = PROJECT_DIR / "__main__.py"
PROJECT = "container-comms"


class Recorder:
    """Runs the program or a piece of component code under mocks and returns the plan."""

    def stack(self, name: str, *, preview: bool = True) -> Plan:
        """The program with a stack's real config file."""
        config = load_stack_config(PROJECT_DIR, name)
        return record_program(
            PROGRAM, project=config.project, stack=name, config=config.values, preview=preview
        )

    def topology(self, topology: Any, *, stack: str = "test", preview: bool = True) -> Plan:
        """The program with `topology` as its `container-comms:topology` value."""
        config = {f"{PROJECT}:topology": json.dumps(topology)}
        return record_program(PROGRAM, project=PROJECT, stack=stack, config=config, preview=preview)

    def run(self, code: Callable[[], object], *, preview: bool = True) -> Plan:
        """Component code, as a program of its own would run it."""
        return record(code, project=PROJECT, stack="test", preview=preview, source_root=PROJECT_DIR)


@pytest.fixture
def recorder() -> Recorder:
    """Records programs and components under Pulumi mocks."""
    return Recorder()
