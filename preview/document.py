"""The `--json` document: the plan and the policy report in one stable, documented shape.

Its shape (version 1) is described in docs/preview.md ("The JSON document") and checked by
`tests/preview/test_preview_json.py`; change both with it.
"""

from __future__ import annotations

from typing import Any

from plan import Plan, Registration, without_secrets
from preview.analyzer import PolicyRun
from preview.verdict import Verdict

SCHEMA_VERSION = 1


def build(
    *,
    project: str,
    stack: str,
    plan: Plan | None,
    run: PolicyRun | None,
    verdict: Verdict,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The document of one run and the verdict on it."""
    resources = []
    if plan is not None:
        resources = [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "parent": r.parent or None,
                "dependencies": list(r.dependencies),
                "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                "inputs": without_secrets(r.inputs),
            }
            for r in plan.resources
        ]
    policy: dict[str, Any] | None = None
    by_urn = plan.by_urn() if plan is not None else {}
    if run is not None:
        policy = {
            "pack": {
                "name": run.pack_name,
                "version": run.pack_version,
                "path": run.pack_path,
            },
            "policies": [
                {
                    "name": p.name,
                    "description": p.description,
                    "enforcementLevel": run.config[p.name].enforcement_level,
                    "config": run.config[p.name].properties,
                }
                for p in run.policies
            ],
            "violations": [
                {
                    "policy": d.policy_name,
                    "enforcementLevel": d.enforcement_level,
                    "configuredLevel": d.configured_level,
                    "undecided": d.undecided,
                    "notApplicable": d.not_applicable,
                    "blocking": verdict.blocks(d),
                    "urn": d.urn or None,
                    "resourceType": _resource(plan, by_urn, d.urn)[0],
                    "resourceName": _resource(plan, by_urn, d.urn)[1],
                    "message": d.message,
                    "stage": d.stage,
                }
                for d in run.diagnostics
            ],
            "analyzed": run.analyzed,
        }
    return {
        "version": SCHEMA_VERSION,
        "project": project,
        "stack": stack,
        "passed": verdict.exit_code == 0,
        "exitCode": verdict.exit_code,
        "error": {"stage": verdict.error[0], "message": verdict.error[1]}
        if verdict.error
        else None,
        "resources": resources,
        "exports": plan.exports if plan is not None else {},
        "warnings": list(plan.warnings) if plan is not None else [],
        "policy": policy,
        "summary": {"resources": len(resources), **verdict.counts},
        "timings": {key: round(value, 3) for key, value in timings.items()},
    }


def _resource(
    plan: Plan | None, by_urn: dict[str, Registration], urn: str
) -> tuple[str | None, str | None]:
    if plan is None or not plan.resources:
        return None, None
    registration = by_urn.get(urn) if urn else plan.resources[0]
    if registration is None:
        kind, _, name = urn.rpartition("::")
        return kind.rpartition("::")[2].rpartition("$")[2], name
    return registration.type, registration.name
