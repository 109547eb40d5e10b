"""Where a stack's topology comes from: the `topology` config value, or a file it names.

The Pulumi CLI hands a program (and a policy pack) its whole config in one environment string,
which Linux caps at 128 KiB: a topology of about a thousand containers no longer fits. Such a
stack names a YAML file instead (`container-comms:topologyFile`, relative to the project
folder), holding the same map the `topology` value would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .. import Problem
from .errors import TopologyError
from .loader import ROOT, load_topology
from .schema import TopologyConfig

FILE_KEY = "topologyFile"
"""The config key naming a topology file."""

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: large files load several times faster."""


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
    path = project_dir / file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise TopologyError(
            [
                Problem(
                    FILE_KEY, f'"{file}" cannot be read ({reason}); name a file under {project_dir}'
                )
            ]
        ) from None
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TopologyError(
            [Problem(f"{file}{line}", f"malformed YAML: {error.problem or error}")]
        ) from None
    try:
        return load_topology(raw, project_dir)
    except TopologyError as error:
        raise TopologyError(
            Problem(f"{file}: {p.field}", p.reason) for p in error.problems
        ) from None
