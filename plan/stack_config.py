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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.inputfiles import InputFileError, YamlDocument, load_yaml
from components.problems import ContainerCommsError

_SUBJECT = re.compile(r'[a-z][a-z ]*"(?P<name>[^"]+)"')
"""How a component error names its subject: `joined group "web"`, `network "my_net2"`."""

_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-")
"""The characters of a config key path's names as errors spell them."""

STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""What the Pulumi CLI accepts as a stack name (alphanumerics, `-`, `_`, `.`; at most 100)."""


class StackConfigError(ContainerCommsError):
    """A stack or project file cannot be used; the message names the file (and line)."""


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
    lines: dict[str, int] = field(default_factory=dict)
    """Line numbers in `path` of every key, as dotted paths (`"<project>:topology.networks"`)."""

    def locate(self, message: str) -> str:
        """`message` with `<file>:<line>: ` before each line that names a config value.

        Program errors name config values by key path (`topology.networks.my_net2.subnet: ...`,
        list items as `[0]`); a component's error names its subject and an argument path
        (`joined group "web": sidecars.probe.ports: ...`), found where the stack file spells
        that name with that path under it. Either way this adds where the value is written.
        """
        return "\n".join(
            f"{self.path}:{number}: {line}" if (number := self._line_for(line)) else line
            for line in message.splitlines()
        )

    def _line_for(self, line: str) -> int | None:
        parts = line.split(": ")
        if len(parts) < 2:
            return None
        number = self._key_line(parts[0])
        if number is None and len(parts) > 2 and (subject := _SUBJECT.fullmatch(parts[0])):
            number = self._key_line(parts[1]) or self._named_line(subject["name"], parts[1])
        return number

    def _key_line(self, key: str) -> int | None:
        """The line of config key path `key` (or of its deepest key the file spells out)."""
        path = key_path(key if ":" in key else f"{self.project}:{key}")
        return None if path is None else self.line_of(".".join(str(part) for part in path))

    def _named_line(self, name: str, field_path: str) -> int | None:
        """The line of `<name>.<field path>` where exactly one key path in the file ends so;
        when none does, of its longest such beginning (down to the name alone)."""
        path = key_path(field_path)
        if path is None:
            return None
        parts = [name, *(str(part) for part in path)]
        while parts:
            suffix = "." + ".".join(parts)
            found = [line for key, line in self.lines.items() if key.endswith(suffix)]
            if len(found) == 1:
                return found[0]
            if found:
                return None  # ambiguous: two places spell it
            parts.pop()
        return None

    def line_of(self, dotted_path: str) -> int | None:
        """The line of the deepest key along `dotted_path` that the file spells out."""
        parts = dotted_path.split(".")
        while parts:
            line = self.lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None


def key_path(text: str) -> tuple[str | int, ...] | None:
    """A config key path as errors spell it, as its keys and list indexes:
    `topology.networks.my_net2.ports[0]` is `("topology", "networks", "my_net2", "ports", 0)`.
    None for text that is not one. One pass over the text, whatever it holds (a message names
    keys a user wrote, so no backtracking pattern reads it)."""
    if not text or text[0] not in _KEY_CHARS:
        return None
    parts: list[str | int] = []
    name: list[str] = []
    after_index = False
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char == "[":
            close = text.find("]", position)
            digits = text[position + 1 : close] if close > 0 else ""
            if not (digits.isascii() and digits.isdigit()):
                return None
            if name or not after_index:
                parts.append("".join(name))
            name, after_index = [], True
            parts.append(int(digits))
            position = close + 1
            continue
        if char == ".":
            if name or not after_index:
                parts.append("".join(name))
            name, after_index = [], False
        elif char in _KEY_CHARS:
            name.append(char)
        else:
            return None
        position += 1
    if name or not after_index:
        parts.append("".join(name))
    return tuple(parts)


def read_project(project_dir: Path) -> dict[str, Any]:
    """The parsed `Pulumi.yaml` of `project_dir`."""
    path = project_dir / "Pulumi.yaml"
    if not path.exists():
        raise StackConfigError(f"{path}: no Pulumi project file here")
    document = _load_yaml(path, "project file").value
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackConfigError(f"{path}: a Pulumi project file needs a `name:`")
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
        raise StackConfigError(f"{path}: a stack file is a map with a `config:` key")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise StackConfigError(f"{path}: `config:` must be a map of keys to values")

    values: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            values[_qualify(str(key), name)] = _as_cli_string(spec["default"])
    lines = _line_index(parsed)
    given: dict[str, str] = {}
    for key, value in raw.items():
        full = _qualify(str(key), name)
        line = lines.get(str(key), lines.get(full))
        at = f"{path}:{line}" if line else str(path)
        if full in given:
            raise StackConfigError(
                f'{at}: config keys "{given[full]}" and "{key}" are both {full} (a key without '
                "a namespace is the project's); give it once"
            )
        given[full] = str(key)
        _refuse_secrets(value, path, lines, full)
        _refuse_non_finite(value, path, lines, full)
        try:
            values[full] = _as_cli_string(value)
        except ValueError as error:
            raise StackConfigError(f"{at}: {full}: {error}") from None
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


def _refuse_secrets(value: Any, path: Path, lines: dict[str, int], where: str) -> None:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            line = lines.get(where)
            at = f"{path}:{line}" if line else str(path)
            raise StackConfigError(
                f"{at}: {where} is a secret (`secure:`), which only the Pulumi CLI can decrypt; "
                "run `pulumi preview` with the stack's secrets provider, or set a plain value "
                "for offline runs"
            )
        for key, item in value.items():
            _refuse_secrets(item, path, lines, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_secrets(item, path, lines, f"{where}.{index}")


def _refuse_non_finite(value: Any, path: Path, lines: dict[str, int], where: str) -> None:
    """A number YAML reads as infinite or not a number (`.inf`, `.nan`, `1e400`), or an integer
    no 64-bit float holds, refused at its own key: neither JSON, in which the CLI hands
    structured values over, nor the engine's wire can hold it."""
    pending = [(value, where)]
    while pending:
        item, at = pending.pop()
        problem = ""
        if isinstance(item, float) and not math.isfinite(item):
            problem = f"YAML reads this number as {item}, which JSON cannot hold"
        elif isinstance(item, int) and not isinstance(item, bool) and _overflows(item):
            problem = "a number beyond any the Pulumi engine holds (64-bit floating point)"
        if problem:
            line = lines.get(at)
            place = f"{path}:{line}" if line else str(path)
            raise StackConfigError(
                f"{place}: {at}: {problem}; write a finite number, or quote the value to pass it "
                "as a string"
            )
        if isinstance(item, dict):
            pending.extend((v, f"{at}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            pending.extend((v, f"{at}.{n}") for n, v in reversed(list(enumerate(item))))


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
        raise StackConfigError(str(error)) from None


def _line_index(document: YamlDocument) -> dict[str, int]:
    """Dotted key paths under `config:` to their 1-based line numbers."""
    return {
        ".".join(path[1:]): line
        for path, line in document.lines.items()
        if len(path) > 1 and path[0] == "config"
    }
