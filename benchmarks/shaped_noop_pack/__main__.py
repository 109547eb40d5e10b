"""A no-op pack shaped like the real one: the floor for what the rules' own code costs.

pulumi-policy deserializes a resource's props once per resource policy (`Analyze`) and the
whole stack once per stack policy (`AnalyzeStack`), so a pack's framework cost grows with its
number of policies. This pack has exactly the real pack's policies (names, descriptions,
levels and config schemas, generated from `policies.rules.POLICIES`, so it never drifts), each
accepting everything: the gate's policy time through it is what the real pack costs before any
rule code runs.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from policies.rules import POLICIES as REAL_POLICIES  # noqa: E402


def _accept(args: Any, report_violation: Any) -> None:
    return None


def shaped(policies: list[Policy]) -> list[Policy]:
    """For each policy, one of the same kind, name, description, level and config schema that
    accepts everything."""
    result: list[Policy] = []
    for policy in policies:
        kind = ResourceValidationPolicy if isinstance(policy, ResourceValidationPolicy) else None
        if kind is None and not isinstance(policy, StackValidationPolicy):
            raise TypeError(f"{policy.name}: neither a resource nor a stack policy")
        common: dict[str, Any] = {
            "name": policy.name,
            "description": policy.description,
            "enforcement_level": policy.enforcement_level,
            "config_schema": policy.config_schema,
            "validate": _accept,
        }
        if kind is not None:
            result.append(ResourceValidationPolicy(**common))
        else:
            result.append(StackValidationPolicy(**common))
    return result


POLICIES = shaped(REAL_POLICIES)

if __name__ == "__main__":
    # The real pack's process settings (policies/__main__.py), so the floor stays like for like.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    PolicyPack(
        name="container-comms-noop",
        policies=POLICIES,
        enforcement_level=EnforcementLevel.ADVISORY,
    )
