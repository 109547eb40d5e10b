"""Problems found in component arguments, and the error that reports them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi


def one_line(text: str) -> str:
    """`text` on one line: every character a terminal would act on or not print (newlines,
    carriage returns, escapes, other controls, line and paragraph separators, format
    characters) written as its Python escape, as `repr` writes it; the rest unchanged."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an argument: where it is (relative to the args) and why. Each is
    one line of a report, whatever values it quotes: both parts are kept `one_line`."""

    field: str
    """The argument path, e.g. `subnet` or `sidecars.probe.ports`."""
    reason: str
    """What is wrong and what would be right, in one sentence without a trailing period."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", one_line(self.field))
        object.__setattr__(self, "reason", one_line(self.reason))

    def under(self, prefix: str) -> Problem:
        """The same problem with its field placed under `prefix`."""
        return Problem(f"{prefix}.{self.field}" if self.field else prefix, self.reason)


class ComponentError(pulumi.RunError):
    """Bad component arguments, reported before any resource is registered.

    A `pulumi.RunError`, so the Pulumi CLI prints the message without a traceback.
    """

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject = one_line(subject)
        self.problems = tuple(problems)
        lines = [
            f"{subject}: {p.field}: {p.reason}" if p.field else f"{subject}: {p.reason}"
            for p in self.problems
        ]
        super().__init__("\n".join(lines))


def raise_if_any(subject: str, problems: list[Problem]) -> None:
    """Raise a `ComponentError` naming `subject` when `problems` is not empty."""
    if problems:
        raise ComponentError(subject, problems)
