"""Problems found in component arguments, and the errors that report them.

A problem is data: where it is (a path of keys and list indexes), why, and what kind of
problem it is. Its location is rendered for people only when a message is written
(`render_path`), and it crosses a process boundary as JSON (`to_wire` / `from_wire`), so a
reader finds the line a path names by walking the parsed file, never by reading text back.
Every error the library raises is a `ContainerCommsError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias, cast

import pulumi

PathPart: TypeAlias = str | int
"""One step of a location: a map key (`str`) or a list index (`int`)."""
Location: TypeAlias = tuple[PathPart, ...]
"""Where a problem is, from the root of what was checked: `("secrets", "db", "file")`."""

Kind = Literal["invalid", "unsupported", "incompatible"]
"""What sort of problem it is: a value that is wrong (`invalid`), a thing this project or the
target does not do (`unsupported`), or values that are each fine but cannot go together
(`incompatible`)."""
KINDS: Final[tuple[Kind, ...]] = ("invalid", "unsupported", "incompatible")

_PLAIN: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-:/")
"""The characters of a key rendered bare in a location; any other key is rendered quoted."""


def one_line(text: str) -> str:
    """`text` on one line: every character a terminal would act on or not print (newlines,
    carriage returns, escapes, other controls, line and paragraph separators, format
    characters) written as its Python escape, as `repr` writes it; the rest unchanged."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def render_path(path: Sequence[PathPart]) -> str:
    """A location as people read it: keys joined by `.`, indexes as `[0]`, and a key that is
    not plain (empty, or holding a dot, bracket, quote, space or anything but letters, digits,
    `_`, `-`, `:` and `/`) as a JSON string in brackets, so that every location reads one way:
    `services["a.b"].ports[0]`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part and _PLAIN.issuperset(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return one_line("".join(out))


def _parts(path: str | Sequence[PathPart]) -> Location:
    """A location from a tuple of keys and indexes, or from a `str`: one key (`""`: none)."""
    if isinstance(path, str):
        return (path,) if path else ()
    parts = tuple(path)
    for part in parts:
        if not isinstance(part, str | int) or isinstance(part, bool):
            raise TypeError(f"a location holds keys and indexes, not {part!r}")
    return parts


class Problem:
    """One thing wrong with an argument: where it is (relative to the args), why, and its
    kind. Each is one line of a report, whatever values it quotes: the reason is kept
    `one_line`, and the location is rendered so.

    `Problem(("secrets", "db", "file"), "is missing")`; `Problem("subnet", ...)` is at the one
    key `subnet`; `Problem((), ...)` is about the whole argument.
    """

    __slots__ = ("file", "kind", "path", "reason")
    path: Location
    """The keys and indexes, e.g. `("sidecars", "probe", "ports", 0)`."""
    reason: str
    """What is wrong and what would be right, in one sentence without a trailing period."""
    kind: Kind
    """invalid, unsupported or incompatible."""
    file: str
    """The file the path is in, as the user named it, when it is not the stack config (a
    compose file, a topology file); empty otherwise."""

    def __init__(
        self,
        path: str | Sequence[PathPart],
        reason: str,
        kind: Kind = "invalid",
        *,
        file: str = "",
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"a problem's kind is one of {', '.join(KINDS)}, not {kind!r}")
        object.__setattr__(self, "path", _parts(path))
        object.__setattr__(self, "reason", one_line(reason))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "file", file)

    @classmethod
    def at(cls, *path: PathPart) -> _At:
        """A builder for problems at `path`: `Problem.at("secrets", name).invalid("...")`."""
        return _At(_parts(path))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Problem is immutable; cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.path, self.reason, self.kind, self.file) == (
            other.path,
            other.reason,
            other.kind,
            other.file,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.reason, self.kind, self.file))

    def __repr__(self) -> str:
        extra = f", file={self.file!r}" if self.file else ""
        return f"Problem({self.path!r}, {self.reason!r}, {self.kind!r}{extra})"

    @property
    def field(self) -> str:
        """The location as people read it (`sidecars.probe.ports[0]`), after the file when
        there is one (`compose.yaml: services.web.image`)."""
        where = render_path(self.path)
        if self.file:
            return f"{one_line(self.file)}: {where}" if where else one_line(self.file)
        return where

    def under(self, *prefix: PathPart) -> Problem:
        """The same problem placed under the keys and indexes of `prefix`."""
        return Problem((*_parts(prefix), *self.path), self.reason, self.kind, file=self.file)

    def at_path(self, path: Sequence[PathPart]) -> Problem:
        """The same problem at another location (a key renamed, or the whole argument)."""
        return Problem(path, self.reason, self.kind, file=self.file)

    def without(self, parts: Sequence[PathPart], at: int = 0) -> Problem:
        """The same problem with the keys `parts` left out of its path where they stand at
        position `at` (a component that hands a container one network: `networks[0]` of the
        container's path is the component's own key), else unchanged."""
        path, parts = self.path, tuple(parts)
        if path[at : at + len(parts)] != parts:
            return self
        return self.at_path((*path[:at], *path[at + len(parts) :]))

    def in_file(self, file: str) -> Problem:
        """The same problem, located in `file`."""
        return Problem(self.path, self.reason, self.kind, file=file)

    def to_wire(self) -> dict[str, Any]:
        """The problem as JSON data."""
        wire: dict[str, Any] = {"path": list(self.path), "reason": self.reason, "kind": self.kind}
        if self.file:
            wire["file"] = self.file
        return wire

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> Problem:
        """The problem `to_wire` wrote; ValueError for anything else."""
        path, reason = wire.get("path"), wire.get("reason")
        kind, file = wire.get("kind", "invalid"), wire.get("file", "")
        if not isinstance(path, list) or not isinstance(reason, str):
            raise ValueError("a problem needs a path (a list) and a reason (a string)")
        if kind not in KINDS or not isinstance(file, str):
            raise ValueError("a problem's kind or file is not one this library writes")
        try:
            return cls(tuple(path), reason, cast(Kind, kind), file=file)
        except TypeError as error:
            raise ValueError(str(error)) from None


class _At:
    """Problems at one location, by kind."""

    __slots__ = ("path",)

    def __init__(self, path: Location) -> None:
        self.path = path

    def invalid(self, reason: str) -> Problem:
        return Problem(self.path, reason, "invalid")

    def unsupported(self, reason: str) -> Problem:
        return Problem(self.path, reason, "unsupported")

    def incompatible(self, reason: str) -> Problem:
        return Problem(self.path, reason, "incompatible")


class ContainerCommsError(pulumi.RunError):
    """The root of every error this library raises: catch it to catch them all.

    A `pulumi.RunError`, so the Pulumi CLI prints the message without a traceback. `subject`
    names what was checked (`service "web"`, of the component `name`; empty when the paths
    start at the stack config or the file they name), and `problems` holds each problem as
    data, one line of the message each; they are empty for an error that is one message.
    """

    subject: str = ""
    problems: tuple[Problem, ...] = ()
    name: str = ""
    """The name of the component the subject names, when there is one."""


def problem_lines(subject: str, problems: Iterable[Problem]) -> list[str]:
    """One line per problem: `<subject>: <location>: <reason>`, each part when there is one."""
    lines = []
    for problem in problems:
        parts = [part for part in (subject, problem.field) if part]
        lines.append(": ".join([*parts, problem.reason]))
    return lines


class ComponentError(ContainerCommsError):
    """Bad component arguments, reported before any resource is registered."""

    def __init__(self, subject: str, problems: Iterable[Problem], *, name: str = "") -> None:
        self.subject = subject = one_line(subject)
        self.problems = tuple(problems)
        self.name = name
        """The component's name, when the subject names one (`web` of `service "web"`): a
        reader finds the problem where a file spells the path under that name."""
        super().__init__("\n".join(problem_lines(subject, self.problems)))


def raise_if_any(subject: str, problems: list[Problem], *, name: str = "") -> None:
    """Raise a `ComponentError` naming `subject` (of the component `name`) when `problems` is
    not empty."""
    if problems:
        raise ComponentError(subject, problems, name=name)
