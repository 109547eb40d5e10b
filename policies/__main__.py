"""The policy pack the Pulumi CLI runs: `pulumi preview --policy-pack policies`.

The CLI's shim runs this folder as a script from inside it (`python -u -m pulumi.policy <engine>
.`), so `rules` is a top-level package here; tests and tools import the same rules as
`policies.rules`. Constructing the `PolicyPack` starts the analyzer's
gRPC server and blocks, so nothing but this file does it.
"""

from __future__ import annotations

import gc
import importlib

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

_rules = (
    importlib.import_module(".rules", __package__)
    if __package__
    else importlib.import_module("rules")
)
POLICIES: list[Policy] = _rules.POLICIES
PACK_NAME: str = _rules.PACK_NAME

BATCH_GC_THRESHOLDS = (50_000, 20, 100)
"""The pack process's collector settings (the default is (700, 10, 10))."""

if __name__ == "__main__":
    # The analyzer deserializes every resource once per resource policy and the whole stack
    # once per stack policy: masses of short-lived objects. With the default thresholds the
    # collector keeps re-walking the growing heap and the pack's time grows faster than the
    # stack (in-process, 5,000 containers took 28 s; with these settings 15 s, linear).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        enforcement_level=EnforcementLevel.ADVISORY,
    )
