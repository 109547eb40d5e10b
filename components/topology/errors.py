"""The error a bad `topology` config value raises: every problem with its config key path."""

from __future__ import annotations

from collections.abc import Iterable

from ..problems import ContainerCommsError, Problem, problem_lines


class TopologyError(ContainerCommsError):
    """Bad stack config, found before any resource is registered.

    Each line is `<config key path>: <what is wrong and what would be right>`; each problem's
    path starts at the stack's config (`("topology", "networks", "n1", "subnet")`), or in the
    file it names (`Problem.file`).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problem_lines("", self.problems)))
