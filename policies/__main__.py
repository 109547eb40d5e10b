"""The policy pack the Pulumi CLI runs: `pulumi preview --policy-pack policies`.

The CLI's shim runs this folder as a script from inside it (`python -u -m pulumi.policy <engine>
.`), so `rules` is a top-level package here; tests and tools import the same rules as
`policies.rules`. Constructing the `PolicyPack` starts the analyzer's
gRPC server and blocks, so nothing but this file does it.
"""

from __future__ import annotations

import importlib

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

_rules = (
    importlib.import_module(".rules", __package__)
    if __package__
    else importlib.import_module("rules")
)
POLICIES: list[Policy] = _rules.POLICIES
PACK_NAME: str = _rules.PACK_NAME

if __name__ == "__main__":
    PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        enforcement_level=EnforcementLevel.ADVISORY,
    )
