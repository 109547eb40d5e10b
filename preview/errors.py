"""The gate's own errors: a run of the gate that could not be finished.

Each is a `GateError`, under the library's root (`ContainerCommsError`): a caller of the gate
catches the root for every error, or `GateError` for the gate's own (its pack, its policy
config, its deadline, its outputs) apart from the checked stack's config and program.
"""

from __future__ import annotations

from pathlib import Path

from components.problems import ContainerCommsError


class GateError(ContainerCommsError):
    """The gate could not finish a run: the message names what failed and what would be right,
    and `file` and `line` where it is, when it is a line of a file."""

    def __init__(self, message: str, file: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
