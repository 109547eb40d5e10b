"""The `--sarif` report: the gate's findings as SARIF 2.1.0, each at a line of a file.

Code-scanning viewers (GitHub's among them) read SARIF. Each policy diagnostic becomes a result
(`error` when it blocks, `warning` for an advisory one, `note` for one undecided at preview),
located where the resource it is about is written: the key of the stack file that names it
(`container-comms:topology.containers.probe`), the service of the compose file the stack names,
or the program line that names it ("probe" in `docker.Container("probe", ...)`); the stack file
itself, line 1, when none does. A stack that could not be checked gives one `error` result at
the line its error names: its stack file's key, or the program's own line a refused component
or the program's error came through. Paths are relative to the current folder (the repository
root, in CI).
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from components.inputfiles import InputFileError, load_yaml
from plan import Plan, Registration
from preview.analyzer import Diagnostic, PolicyRun
from preview.report import unknowns_shown
from preview.verdict import Verdict

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "container-comms"
NOT_CHECKED_RULE = "container-comms-not-checked"
"""The rule of the one result a stack that could not be checked gets."""
COMPOSE_FILE_KEY = "composeFile"
_REPLICA = re.compile(r"-\d+$")


@dataclass(frozen=True)
class Place:
    """A file and a 1-based line in it."""

    path: Path
    line: int


@dataclass
class Sources:
    """Where a stack's resources are written: the stack file, its compose file, the program."""

    stack_file: Path | None
    stack_lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    """The stack file's paths under `config:` to their lines (`StackConfig.lines`)."""
    compose_file: Path | None = None
    compose_lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    program: Path | None = None
    program_lines: list[str] = field(default_factory=list)
    _urns_of: tuple[Plan, dict[str, Registration]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def read(
        cls,
        *,
        project_dir: Path,
        stack_file: Path | None,
        stack_lines: dict[tuple[str, ...], int],
        config: dict[str, str],
        program: Path | None,
    ) -> Sources:
        """The sources of one stack; a file that cannot be read is left out, never an error."""
        sources = cls(stack_file, dict(stack_lines), program=program)
        compose = next(
            (v for k, v in config.items() if k.rpartition(":")[2] == COMPOSE_FILE_KEY), None
        )
        if compose:
            path = project_dir / compose
            try:
                sources.compose_lines = load_yaml(path, "compose file").lines
                sources.compose_file = path
            except InputFileError:
                pass
        if program is not None:
            try:
                sources.program_lines = program.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                sources.program = None
        return sources

    def locate(self, registration: Registration | None, plan: Plan | None) -> Place | None:
        """Where `registration` is written: the first of its names (most specific first) that
        the stack file, the compose file or the program spells in exactly one place."""
        if registration is not None and plan is not None:
            for name in _names(registration, self._urns(plan)):
                place = self._in_stack(name) or self._in_compose(name) or self._in_program(name)
                if place is not None:
                    return place
        return Place(self.stack_file, 1) if self.stack_file is not None else None

    def _urns(self, plan: Plan) -> dict[str, Registration]:
        """`plan`'s registrations by URN, worked out once per plan, not once per finding."""
        if self._urns_of is None or self._urns_of[0] is not plan:
            self._urns_of = (plan, plan.by_urn())
        return self._urns_of[1]

    @cached_property
    def _stack_names(self) -> dict[str, list[int]]:
        """The stack file's lines by the last key of their path (read once, not per name)."""
        lines: dict[str, list[int]] = {}
        for key, line in self.stack_lines.items():
            if key:
                lines.setdefault(key[-1], []).append(line)
        return lines

    @cached_property
    def _compose_names(self) -> dict[str, list[int]]:
        """The compose file's lines of each service, network and volume, by its name."""
        lines: dict[str, list[int]] = {}
        for path, line in self.compose_lines.items():
            if len(path) == 2 and path[0] in ("services", "networks", "volumes"):
                lines.setdefault(path[1], []).append(line)
        return lines

    def _in_stack(self, name: str) -> Place | None:
        if self.stack_file is None:
            return None
        found = self._stack_names.get(name, [])
        return Place(self.stack_file, found[0]) if len(found) == 1 else None

    def _in_compose(self, name: str) -> Place | None:
        if self.compose_file is None:
            return None
        found = self._compose_names.get(name, [])
        return Place(self.compose_file, found[0]) if len(found) == 1 else None

    def _in_program(self, name: str) -> Place | None:
        if self.program is None:
            return None
        # The name as a positional argument (`docker.Container("probe", ...)`), not a keyword
        # argument's value (`name="probe"`).
        spelled = re.compile(rf"""(?:^|[(,\[])\s*(["']){re.escape(name)}\1""")
        found = [n for n, text in enumerate(self.program_lines, 1) if spelled.search(text)]
        return Place(self.program, found[0]) if len(found) == 1 else None


def _names(registration: Registration, by_urn: Mapping[str, Registration]) -> Iterator[str]:
    """The names a resource may be written under, most specific first: its `name` input and
    its own name, each also without the name of a component above it (`web-web1` under `web`:
    `web1`) and without a trailing `-<replica number>` (a compose service's container is
    `<project>-<service>-<replica>`); then the components' own names, innermost first."""
    given = registration.inputs.get("name")
    own = [given] if isinstance(given, str) else []
    own.append(registration.name)
    components = []
    parent = by_urn.get(registration.parent)
    while parent is not None and parent.parent:
        components.append(parent.name)
        parent = by_urn.get(parent.parent)
    for component in components:
        own += [n.removeprefix(f"{component}-") for n in own if n.startswith(f"{component}-")]
    own += [_REPLICA.sub("", n) for n in own if _REPLICA.search(n)]
    seen: set[str] = set()
    for name in own + components:
        if name and name not in seen:
            seen.add(name)
            yield name


def tool_version() -> str:
    """The installed package's version ("0+source" when run from a clone)."""
    try:
        return importlib.metadata.version(TOOL)
    except importlib.metadata.PackageNotFoundError:
        return "0+source"


def build(
    *,
    stack: str,
    plan: Plan | None,
    run: PolicyRun | None,
    verdict: Verdict,
    sources: Sources,
    version: str,
    base: Path,
    error_place: Place | None = None,
) -> dict[str, Any]:
    """The SARIF log of one run; paths relative to `base` when inside it. A stack that could
    not be checked is reported at `error_place`, where its error is (the gate finds the line
    from the error's data: a problem's path, a file's line), else at the stack file."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    if run is not None:
        for policy in run.policies:
            index[policy.name] = len(rules)
            level = run.config[policy.name].enforcement_level if policy.name in run.config else ""
            rules.append(
                {
                    "id": policy.name,
                    "shortDescription": {"text": policy.description or policy.name},
                    "defaultConfiguration": {"level": _rule_level(level)},
                }
            )
    results: list[dict[str, Any]] = []
    by_urn = plan.by_urn() if plan is not None else {}
    for diagnostic in run.diagnostics if run is not None else ():
        registration = by_urn.get(diagnostic.urn)
        result: dict[str, Any] = {
            "ruleId": diagnostic.policy_name,
            "level": _level(diagnostic, verdict),
            "message": {"text": _message(diagnostic, registration)},
            "locations": _locations(sources.locate(registration, plan), base, diagnostic.urn),
        }
        if diagnostic.policy_name in index:
            result["ruleIndex"] = index[diagnostic.policy_name]
        results.append(result)
    if verdict.error is not None:
        stage, message = verdict.error
        index[NOT_CHECKED_RULE] = len(rules)
        rules.append(
            {
                "id": NOT_CHECKED_RULE,
                "shortDescription": {"text": "The stack could not be checked; it does not pass."},
                "defaultConfiguration": {"level": "error"},
            }
        )
        place = error_place or sources.locate(None, None)
        results.append(
            {
                "ruleId": NOT_CHECKED_RULE,
                "ruleIndex": index[NOT_CHECKED_RULE],
                "level": "error",
                "message": {
                    "text": f"stack {stack!r} not checked ({stage}): {unknowns_shown(message)}"
                },
                "locations": _locations(place, base, ""),
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "version": version, "rules": rules}},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.absolute().as_uri() + "/"}},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": verdict.error is None,
                        "exitCode": verdict.exit_code,
                    }
                ],
            }
        ],
    }


def _rule_level(enforcement_level: str) -> str:
    return {"mandatory": "error", "remediate": "error", "disabled": "none"}.get(
        enforcement_level, "warning"
    )


def _level(diagnostic: Diagnostic, verdict: Verdict) -> str:
    if verdict.blocks(diagnostic):
        return "error"
    return "note" if diagnostic.undecided else "warning"


def _message(diagnostic: Diagnostic, registration: Registration | None) -> str:
    about = (
        f"{registration.type}: {registration.name}"
        if registration is not None
        else diagnostic.urn.rpartition("::")[2] or "the stack"
    )
    return f"{about}: {unknowns_shown(diagnostic.message)}"


def _locations(place: Place | None, base: Path, urn: str) -> list[dict[str, Any]]:
    if place is None:
        return []
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact(place.path, base),
            "region": {"startLine": max(place.line, 1)},
        }
    }
    if urn:
        location["logicalLocations"] = [
            {"fullyQualifiedName": urn, "name": urn.rpartition("::")[2], "kind": "resource"}
        ]
    return [location]


def _artifact(path: Path, base: Path) -> dict[str, str]:
    absolute = path.absolute()
    try:
        return {"uri": absolute.relative_to(base.absolute()).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": absolute.as_uri()}
