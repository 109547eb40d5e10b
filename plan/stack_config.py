"""Stack configuration read the way the Pulumi CLI reads it, for runs without the CLI.

The project file names the stack folder (`stackConfigDir`); each `Pulumi.<stack>.yaml` holds a
`config:` map of project-namespaced keys. The CLI hands a program every value as a string:
structured values as JSON, booleans and numbers in their YAML spelling. Secure values are
ciphertext only the CLI can decrypt, so they are refused here rather than guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (ten times faster on large stacks), else Python's."""


class StackConfigError(Exception):
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
        """`message` with `<file>:<line>: ` before each line that starts with a config key path.

        Program errors name config values by key path (`topology.networks.my_net2.subnet: ...`,
        list items as `[0]`); this adds where the value is written in the stack file.
        """
        located = []
        for line in message.splitlines():
            key, sep, _ = line.partition(": ")
            qualified = key if ":" in key else f"{self.project}:{key}"
            number = self.line_of(re.sub(r"\[(\d+)\]", r".\1", qualified)) if sep else None
            located.append(f"{self.path}:{number}: {line}" if number else line)
        return "\n".join(located)

    def line_of(self, dotted_path: str) -> int | None:
        """The line of the deepest key along `dotted_path` that the file spells out."""
        parts = dotted_path.split(".")
        while parts:
            line = self.lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None


def read_project(project_dir: Path) -> dict[str, Any]:
    """The parsed `Pulumi.yaml` of `project_dir`."""
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        raise StackConfigError(f"{path}: no Pulumi project file here")
    document = _load_yaml(path)
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
    path = stack_dir(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(list_stacks(project_dir)) or "none"
        raise StackConfigError(f'unknown stack "{stack}": there is no {path}; stacks: {known}')
    document = _load_yaml(path)
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
    lines = _line_index(path)
    for key, value in raw.items():
        full = _qualify(str(key), name)
        _refuse_secrets(value, path, lines, full)
        values[full] = _as_cli_string(value)
    return StackConfig(project=name, stack=stack, path=path, values=values, lines=lines)


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_cli_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


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


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise StackConfigError(f"{where}: malformed YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise StackConfigError(f"{path}: malformed YAML: {error}") from None


def _line_index(path: Path) -> dict[str, int]:
    """Dotted key paths under `config:` to their 1-based line numbers."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    index: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return index
    for key_node, value_node in root.value:
        if key_node.value == "config":
            _walk(value_node, "", index)
    return index


def _walk(node: yaml.Node, prefix: str, index: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            index[dotted] = key_node.start_mark.line + 1
            _walk(value_node, dotted, index)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            dotted = f"{prefix}.{position}"
            index[dotted] = item.start_mark.line + 1
            _walk(item, dotted, index)
