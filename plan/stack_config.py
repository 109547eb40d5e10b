"""Stack configuration read the way the Pulumi CLI reads it, for runs without the CLI.

The project file names the stack folder (`stackConfigDir`); each `Pulumi.<stack>.yaml` holds a
`config:` map of project-namespaced keys. The CLI hands a program every value as a string:
structured values as JSON, booleans and numbers in their YAML spelling. Files are read with
YAML 1.2 core semantics and duplicate keys refused (`inputfiles`), as the CLI's YAML library
reads them. Secure values are ciphertext only the CLI can decrypt, so they are refused here
rather than guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.inputfiles import InputFileError, YamlDocument, load_yaml
from components.problems import ContainerCommsError, PathPart, problem_lines

STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""What the Pulumi CLI accepts as a stack name (alphanumerics, `-`, `_`, `.`; at most 100)."""


class StackConfigError(ContainerCommsError):
    """A stack or project file cannot be used; the message names the file (and line), which
    `file` and `line` hold as data."""

    def __init__(self, message: str, file: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


@dataclass(frozen=True)
class StackConfig:
    """One stack's configuration, ready to hand to a program."""

    project: str
    """The project name from `Pulumi.yaml`."""
    stack: str
    """The stack name."""
    path: Path
    """The stack's config file."""
    values: dict[str, str]
    """Fully qualified keys (`"<project>:<key>"`) to the string the CLI would pass."""
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    """Line numbers in `path` of every key and list item under `config:`, by their path as the
    file spells it (`("<project>:topology", "networks", "n1")`; list items by position,
    `"0"`)."""

    def locate(self, error: ContainerCommsError) -> tuple[str, int | None]:
        """The message of a program's `error`, with `<file>:<line>: ` before each problem the
        stack file spells out, and the line of the first such problem.

        A problem's path is found by walking the file's keys with it: a path from the stack's
        config (`("topology", "networks", "n1", "subnet")`, a `TopologyError`'s), or a
        component's argument path, where the stack file spells it as a config key path
        (`("sidecars", "probe", "ports")`) or else under the component's name. A component's
        problem the stack file does not spell is placed at the program's line that made the
        component (a `ProgramError`'s `program_place`), when it has one. A problem in another
        file (`Problem.file`), or an error without problems as data, is left as it is.
        """
        if not error.problems:
            return str(error), None
        name = getattr(error, "name", "")
        program = getattr(error, "program_place", None)  # a `ProgramError`'s
        out, first = [], None
        for problem in error.problems:
            [text] = problem_lines(error.subject, [problem])
            number = None if problem.file else self._line_for(problem.path, name)
            if number:
                text = f"{self.path}:{number}: {text}"
            elif program is not None and not problem.file:
                text = f"{program[0]}:{program[1]}: {text}"
            out.append(text)
            first = first or number
        return "\n".join(out), first

    def _line_for(self, path: Sequence[PathPart], name: str) -> int | None:
        number = self.line_of(path)
        if number is None and name:
            number = self._named_line(name, path)
        return number

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The line of the deepest key along `path` (a config key, without its namespace when
        it is the project's, then keys and indexes inside its value) that the file spells."""
        if not path or not isinstance(path[0], str):
            return None
        first = path[0]
        rest = tuple(str(part) for part in path[1:])
        for key in (first,) if ":" in first else (f"{self.project}:{first}", first):
            if (key,) in self.lines:
                return self._deepest((key, *rest))
        return None

    def _deepest(self, parts: tuple[str, ...]) -> int | None:
        while parts:
            line = self.lines.get(parts)
            if line is not None:
                return line
            parts = parts[:-1]
        return None

    def _named_line(self, name: str, path: Sequence[PathPart]) -> int | None:
        """The line of `(name, *path)` where exactly one key path in the file ends so; when none
        does, of its longest such beginning (down to the name alone)."""
        parts = (name, *(str(part) for part in path))
        while parts:
            size = len(parts)
            found = [line for key, line in self.lines.items() if key[-size:] == parts]
            if len(found) == 1:
                return found[0]
            if found:
                return None  # ambiguous: two places spell it
            parts = parts[:-1]
        return None


def read_project(project_dir: Path) -> dict[str, Any]:
    """The parsed `Pulumi.yaml` of `project_dir`."""
    path = project_dir / "Pulumi.yaml"
    if not path.exists():
        raise StackConfigError(f"{path}: no Pulumi project file here", path)
    document = _load_yaml(path, "project file").value
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackConfigError(f"{path}: a Pulumi project file needs a `name:`", path)
    return document


def stack_dir(project_dir: Path) -> Path:
    """The folder holding the stacks' config files (`stackConfigDir`, else the project's)."""
    project = read_project(project_dir)
    return project_dir / str(project.get("stackConfigDir", "."))


def list_stacks(project_dir: Path) -> list[str]:
    """The stacks that have a config file, sorted."""
    folder = stack_dir(project_dir)
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """The configuration of `stack`, with the project's config defaults applied."""
    project = read_project(project_dir)
    name = str(project["name"])
    if not STACK_NAME.fullmatch(stack):
        raise StackConfigError(
            f"{stack!r} is not a stack name: use 1 to 100 letters, digits, `-`, `_` or `.`"
        )
    path = stack_dir(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = ", ".join(list_stacks(project_dir)) or "none"
        raise StackConfigError(f'unknown stack "{stack}": there is no {path}; stacks: {known}')
    parsed = _load_yaml(path, "stack file")
    document = parsed.value
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{path}: a stack file is a map with a `config:` key", path)
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise StackConfigError(f"{path}: `config:` must be a map of keys to values", path)

    values: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            values[_qualify(str(key), name)] = _as_cli_string(spec["default"])
    lines = _line_index(parsed)
    given: dict[str, str] = {}
    for key, value in raw.items():
        full = _qualify(str(key), name)
        line = lines.get((str(key),))
        at = f"{path}:{line}" if line else str(path)
        if full in given:
            raise StackConfigError(
                f'{at}: config keys "{given[full]}" and "{key}" are both {full} (a key without '
                "a namespace is the project's); give it once",
                path,
                line,
            )
        given[full] = str(key)
        _refuse_secrets(value, path, lines, (str(key),), full)
        _refuse_non_finite(value, path, lines, (str(key),), full)
        try:
            values[full] = _as_cli_string(value)
        except ValueError as error:
            raise StackConfigError(f"{at}: {full}: {error}", path, line) from None
    return StackConfig(project=name, stack=stack, path=path, values=values, lines=lines)


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_cli_string(value: Any) -> str:
    """The string the CLI hands the program; ValueError for what JSON cannot hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number, which JSON cannot hold")
    if isinstance(value, int | float):
        return str(value)
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"a value JSON cannot hold ({error})") from None


def _refuse_secrets(
    value: Any, path: Path, lines: dict[tuple[str, ...], int], at: tuple[str, ...], where: str
) -> None:
    """A secure value refused at its own key: `at` is its path as the file spells it, `where`
    as the message names it."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            line = lines.get(at)
            place = f"{path}:{line}" if line else str(path)
            raise StackConfigError(
                f"{place}: {where} is a secret (`secure:`), which only the Pulumi CLI can "
                "decrypt; run `pulumi preview` with the stack's secrets provider, or set a plain "
                "value for offline runs",
                path,
                line,
            )
        for key, item in value.items():
            _refuse_secrets(item, path, lines, (*at, str(key)), f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_secrets(item, path, lines, (*at, str(index)), f"{where}.{index}")


def _refuse_non_finite(
    value: Any, path: Path, lines: dict[tuple[str, ...], int], at: tuple[str, ...], where: str
) -> None:
    """A number YAML reads as infinite or not a number (`.inf`, `.nan`, `1e400`), or an integer
    no 64-bit float holds, refused at its own key: neither JSON, in which the CLI hands
    structured values over, nor the engine's wire can hold it."""
    pending = [(value, at, where)]
    while pending:
        item, spelled, named = pending.pop()
        problem = ""
        if isinstance(item, float) and not math.isfinite(item):
            problem = f"YAML reads this number as {item}, which JSON cannot hold"
        elif isinstance(item, int) and not isinstance(item, bool) and _overflows(item):
            problem = "a number beyond any the Pulumi engine holds (64-bit floating point)"
        if problem:
            line = lines.get(spelled)
            place = f"{path}:{line}" if line else str(path)
            raise StackConfigError(
                f"{place}: {named}: {problem}; write a finite number, or quote the value to pass "
                "it as a string",
                path,
                line,
            )
        if isinstance(item, dict):
            pending.extend(
                (v, (*spelled, str(k)), f"{named}.{k}") for k, v in reversed(list(item.items()))
            )
        elif isinstance(item, list):
            pending.extend(
                (v, (*spelled, str(n)), f"{named}.{n}") for n, v in reversed(list(enumerate(item)))
            )


def _overflows(number: int) -> bool:
    try:
        float(number)
    except OverflowError:
        return True
    return False


def _load_yaml(path: Path, what: str) -> YamlDocument:
    try:
        return load_yaml(path, what)
    except InputFileError as error:
        raise StackConfigError(str(error), path, error.line) from None


def _line_index(document: YamlDocument) -> dict[tuple[str, ...], int]:
    """The paths under `config:` (as the file spells them) to their 1-based line numbers."""
    return {
        path[1:]: line
        for path, line in document.lines.items()
        if len(path) > 1 and path[0] == "config"
    }
