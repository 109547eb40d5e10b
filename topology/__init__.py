"""Stack config -> validated topology -> components.

`load_topology` checks a `topology` config value and resolves its `auto` addresses;
`build_topology` turns the result into the components and returns what the stack exports.
"""

from topology.build import Deployment, build_topology
from topology.errors import TopologyError
from topology.loader import ROOT, load_topology
from topology.schema import TopologyConfig

__all__ = [
    "ROOT",
    "Deployment",
    "TopologyConfig",
    "TopologyError",
    "build_topology",
    "load_topology",
]
