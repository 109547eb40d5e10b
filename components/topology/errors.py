"""The error a bad `topology` config value raises: every problem with its config key path."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from .. import Problem


class TopologyError(pulumi.RunError):
    """Bad stack config, found before any resource is registered.

    Each line is `<config key path>: <what is wrong and what would be right>`. A
    `pulumi.RunError`, so the Pulumi CLI prints it without a traceback.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{p.field}: {p.reason}" for p in self.problems))
