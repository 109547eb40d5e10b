"""Where a stack's topology comes from: the `topology` config value, or a file it names.

The Pulumi CLI hands a program (and a policy pack) its whole config in one environment string,
which Linux caps at 128 KiB: a topology of about a thousand containers no longer fits. Such a
stack names a YAML file instead (`container-comms:topologyFile`, relative to the project
folder), holding the same map the `topology` value would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components import Problem
from inputfiles import InputFileError, inside, load_yaml
from topology.errors import TopologyError
from topology.loader import ROOT, load_topology
from topology.schema import TopologyConfig

FILE_KEY = "topologyFile"
"""The config key naming a topology file."""


def load_topology_source(inline: Any, file: str | None, project_dir: Path) -> TopologyConfig:
    """The validated topology from the `topology` value or from the file `topologyFile` names.

    Problems found in a file are prefixed with the file's path, so each names where it is.
    """
    if file is None:
        return load_topology(inline)
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
        raise TopologyError([Problem(error.where, error.problem)]) from None
    if not isinstance(raw, dict):  # named by its kind only: the file's text is not repeated
        raise TopologyError(
            [Problem(FILE_KEY, f'"{file}" holds {_kind(raw)}, not a map of the topology\'s keys')]
        )
    try:
        return load_topology(raw)
    except TopologyError as error:
        raise TopologyError(
            Problem(f"{file}: {p.field}", p.reason) for p in error.problems
        ) from None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return "a single value"
