"""Stack config -> validated topology -> components.

`load_topology` checks a `topology` config value and resolves its `auto` addresses
(`load_topology_source` takes it from a file named by `topologyFile` instead);
`build_topology` turns the result into the components and returns what the stack exports.
"""

from .build import Deployment, build_topology
from .errors import TopologyError
from .loader import ROOT, load_topology
from .schema import TopologyConfig
from .source import (
    COMPOSE_PROFILES_KEY,
    COMPOSE_PROJECT_KEY,
    COMPOSE_TARGET_KEY,
    FILE_KEY,
    STACK_KEYS,
    load_compose_source,
    load_topology_source,
    stack_key_problems,
    stack_keys,
)

__all__ = [
    "COMPOSE_PROFILES_KEY",
    "COMPOSE_PROJECT_KEY",
    "COMPOSE_TARGET_KEY",
    "FILE_KEY",
    "ROOT",
    "STACK_KEYS",
    "Deployment",
    "TopologyConfig",
    "TopologyError",
    "build_topology",
    "load_compose_source",
    "load_topology",
    "load_topology_source",
    "stack_key_problems",
    "stack_keys",
]
