"""What the tests share: one recorder (programs and components run under `plan`'s mocks), and
one policy pack process per session, asked the way the offline gate asks it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plan import Plan, load_stack_config, record, record_program
from tests.pack_client import PackClient, started_pack

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


@pytest.fixture(scope="session")
def pack() -> Iterator[PackClient]:
    """The policy pack in `policies/`, started once per session as the Pulumi CLI starts it and
    asked through the offline gate's own client; stopped when the session ends."""
    with started_pack() as client:
        yield client
