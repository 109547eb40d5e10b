"""Where a stack's topology comes from: the `topology` config value, or a file it names.

The Pulumi CLI hands a program (and a policy pack) its whole config in one environment string,
which Linux caps at 128 KiB: a topology of about a thousand containers no longer fits. Such a
stack names a YAML file instead (`container-comms:topologyFile`, relative to the project
folder), holding the same map the `topology` value would.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Final

import pulumi

from ..compose_file import ENV_FILE_KEY
from ..compose_file import FILE_KEY as COMPOSE_FILE_KEY
from ..inputfiles import InputFileError, inside, load_yaml
from ..problems import Problem
from .errors import TopologyError
from .loader import ROOT, load_topology
from .schema import TopologyConfig

FILE_KEY = "topologyFile"
"""The config key naming a topology file."""


def load_topology_source(inline: Any, file: str | None, project_dir: Path) -> TopologyConfig:
    """The validated topology from the `topology` value or from the file `topologyFile` names.

    Problems found in a file are prefixed with the file's path, so each names where it is.
    """
    if file is None:
        return load_topology(inline, project_dir)
    if inline is not None:
        raise TopologyError(
            [Problem(FILE_KEY, f"is set together with {ROOT}; give the topology in one place")]
        )
    try:  # inside the project, a bounded regular file, read as YAML 1.2 like stack files
        raw = load_yaml(inside(project_dir, file), "topology file", name=file).value
    except InputFileError as error:
        if error.unreadable:
            reason = f'"{file}" {error.problem}; name a file under {project_dir}'
            raise TopologyError([Problem(FILE_KEY, reason)]) from None
        raise TopologyError([Problem((), error.problem, file=error.where)]) from None
    if not isinstance(raw, dict):  # named by its kind only: the file's text is not repeated
        raise TopologyError(
            [Problem(FILE_KEY, f'"{file}" holds {_kind(raw)}, not a map of the topology\'s keys')]
        )
    try:
        return load_topology(raw, project_dir)
    except TopologyError as error:
        raise TopologyError(p.in_file(file) for p in error.problems) from None


COMPOSE_PROFILES_KEY = "composeProfiles"
"""The config key listing the compose profiles to enable."""
COMPOSE_TARGET_KEY = "composeTarget"
"""The config key naming where a compose file deploys: `engine` (default) or `swarm`."""
COMPOSE_PROJECT_KEY = "composeProject"
"""The config key naming the compose project (the prefix of container, network and volume
names). When unset, Compose names it as `docker compose up` does: `COMPOSE_PROJECT_NAME` from
the environment or the `.env` (or `composeEnvFile`), else the file's top-level `name:`, else
the compose file's folder name."""
STACK_KEYS: Final = frozenset(
    {
        ROOT,
        FILE_KEY,
        COMPOSE_FILE_KEY,
        ENV_FILE_KEY,
        COMPOSE_PROFILES_KEY,
        COMPOSE_TARGET_KEY,
        COMPOSE_PROJECT_KEY,
    }
)
"""Every key of this project's config namespace the program reads (besides the keys a
topology's secrets name); any other is refused, so that a mistyped key is not ignored."""


def load_compose_source(
    file: str,
    project_dir: Path,
    *,
    profiles: tuple[str, ...] = (),
    env_file: str | None = None,
    project_name: str | None = None,
    target: str = "engine",
) -> TopologyConfig:
    """The validated topology of a compose file, as Docker Compose v2 itself reads it.

    Every problem names the compose file: Compose's own refusals (with the line), compose keys
    the model does not have, and the loader's checks placed at the compose key.
    """
    from ..compose_file import normalise_compose_file
    from .compose import ComposeMappingError, compose_topology
    from .compose_keys import key_problems

    if target not in ("engine", "swarm"):
        raise TopologyError(
            [
                Problem(
                    COMPOSE_TARGET_KEY,
                    f'"{target}" is not a target; use engine (one Docker engine) or swarm',
                )
            ]
        )
    normalised = normalise_compose_file(
        project_dir, file, project_name=project_name, env_file=env_file, profiles=profiles
    )
    for warning in normalised.warnings:  # shown by `pulumi up` and in the gate's report
        pulumi.log.warn(f"{warning.field}: {warning.reason}")
    keys = key_problems(file, normalised.model, target)
    problems = keys.refusals
    advisories = keys.advisories
    try:
        raw = compose_topology(normalised.model, file, target, advisories)
    except ComposeMappingError as error:
        problems += error.problems
    else:
        problems += _unset_variables(normalised.model, raw, file)
    if problems:
        raise TopologyError(problems)
    for advisory in advisories:  # what deploys other than `docker compose up` would, and why
        pulumi.log.warn(f"{advisory.field}: {advisory.reason}")
    try:
        return load_topology(raw, project_dir)
    except TopologyError as error:
        raise TopologyError(p.without((ROOT,)).in_file(file) for p in error.problems) from None


def _unset_variables(model: Any, raw: Any, file: str) -> list[Problem]:
    """Secrets and configs taken from an environment variable this run does not have: docker
    compose up refuses them too (`environment variable "X" required by secret "s" is not
    set`)."""
    import os

    problems = []
    for kind in ("secrets", "configs"):
        for key, source in (raw.get(kind) or {}).items():
            variable = source.get("environment")
            if variable is not None and variable not in os.environ:
                name = model[kind][key].get("name", key)
                problems.append(
                    Problem(
                        (kind, key, "environment"),
                        f'"{variable}" is not set in the environment of this run (docker '
                        f'compose up refuses it too: environment variable "{variable}" required '
                        f'by {kind.removesuffix("s")} "{name}" is not set); set it',
                        file=file,
                    )
                )
    return problems


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return "a single value"


def stack_keys() -> set[str]:
    """Every config key the program was given, fully qualified: from the Pulumi CLI (the
    `PULUMI_CONFIG` environment variable) or set in this process (a run under mocks)."""
    from pulumi.runtime import config as runtime

    return {*runtime.get_config_env(), *runtime.CONFIG.get()}


def stack_key_problems(
    given: Iterable[str], namespace: str, secret_keys: Collection[str] = ()
) -> list[Problem]:
    """One problem per key of this project's `namespace` that nothing reads, naming the nearest
    known key; `secret_keys` are the keys the topology's secrets name (`secrets.X.config`).

    Keys of other namespaces (`docker:host`) belong to their own packages and are left alone.
    """
    known = sorted(STACK_KEYS)
    problems = []
    for key in sorted(given):
        space, _, name = key.rpartition(":")
        if space != namespace or name in STACK_KEYS or name in secret_keys:
            continue
        near = _nearest(name, known)
        hint = f"did you mean {near}?" if near else f"the stack keys are {', '.join(known)}"
        quoted = json.dumps(key, ensure_ascii=False)
        problems.append(Problem(name, f"unknown stack key {quoted}; {hint}"))
    return problems


def _nearest(name: str, known: list[str]) -> str | None:
    by_case = {key.lower(): key for key in known}
    if name.lower() in by_case:
        return by_case[name.lower()]
    found = difflib.get_close_matches(name.lower(), list(by_case), n=1, cutoff=0.6)
    return by_case[found[0]] if found else None
