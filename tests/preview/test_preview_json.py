"""The `--json` document has exactly the shape docs/preview.md documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.preview.helpers_preview import PACKS, REPO, TINY, run_preview

# The "JSON document" block of docs/preview.md, as types: keep the two in step.
DOCUMENT = {
    "version": int,
    "project": str,
    "stack": str,
    "passed": bool,
    "exitCode": int,
    "error": (dict, type(None)),
    "resources": list,
    "exports": dict,
    "warnings": list,
    "policy": (dict, type(None)),
    "summary": dict,
    "timings": dict,
}
RESOURCE = {
    "urn": str,
    "type": str,
    "name": str,
    "custom": bool,
    "parent": (str, type(None)),
    "dependencies": list,
    "propertyDependencies": dict,
    "inputs": dict,
}
POLICY = {"pack": dict, "policies": list, "violations": list, "analyzed": int}
PACK = {"name": str, "version": str, "path": str}
POLICY_INFO = {"name": str, "description": str, "enforcementLevel": str, "config": dict}
VIOLATION = {
    "policy": str,
    "enforcementLevel": str,
    "configuredLevel": str,
    "undecided": bool,
    "notApplicable": bool,
    "blocking": bool,
    "urn": (str, type(None)),
    "resourceType": (str, type(None)),
    "resourceName": (str, type(None)),
    "message": str,
    "stage": str,
}
SUMMARY = {
    "resources": int,
    "mandatory": int,
    "advisory": int,
    "undecided": int,
    "blocking": int,
}
ERROR = {"stage": str, "message": str}


def _conforms(value: dict[str, Any], shape: dict[str, Any], where: str) -> None:
    assert set(value) == set(shape), f"{where}: keys {sorted(value)} != {sorted(shape)}"
    for key, kind in shape.items():
        assert isinstance(value[key], kind), f"{where}.{key}: {value[key]!r} is not {kind}"


def _document(capsys: pytest.CaptureFixture[str], tmp_path: Path, stack: str) -> dict[str, Any]:
    target = tmp_path / f"{stack}.json"
    run_preview(
        capsys,
        stack,
        "--project",
        str(TINY),
        "--pack",
        str(PACKS / "tiny"),
        "--json",
        str(target),
    )
    document: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return document


def test_json_document_of_a_blocked_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = _document(capsys, tmp_path, "bad")
    _conforms(document, DOCUMENT, "document")
    assert (document["version"], document["passed"], document["exitCode"]) == (1, False, 1)
    assert document["error"] is None
    for index, resource in enumerate(document["resources"]):
        _conforms(resource, RESOURCE, f"resources[{index}]")
    assert document["resources"][0]["type"] == "pulumi:pulumi:Stack"
    _conforms(document["policy"], POLICY, "policy")
    _conforms(document["policy"]["pack"], PACK, "policy.pack")
    for info in document["policy"]["policies"]:
        _conforms(info, POLICY_INFO, "policy.policies[]")
    for violation in document["policy"]["violations"]:
        _conforms(violation, VIOLATION, "policy.violations[]")
    blocking = [v for v in document["policy"]["violations"] if v["blocking"]]
    assert [(v["policy"], v["resourceName"]) for v in blocking] == [
        ("tiny-container-enforce-address-prefix", "pair-bbox1")
    ]
    _conforms(document["summary"], SUMMARY, "summary")
    assert document["summary"]["blocking"] == 1
    assert set(document["timings"]) == {
        "programSeconds",
        "policySeconds",
        "totalSeconds",
        "programCpuSeconds",
        "policyCpuSeconds",
        "totalCpuSeconds",
    }
    timings = document["timings"]
    assert timings["programCpuSeconds"] > 0 and timings["policyCpuSeconds"] > 0
    assert timings["programCpuSeconds"] + timings["policyCpuSeconds"] <= timings["totalCpuSeconds"]


def test_json_document_of_a_stack_that_could_not_be_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = _document(capsys, tmp_path, "boom")
    _conforms(document, DOCUMENT, "document")
    assert (document["passed"], document["exitCode"], document["policy"]) == (False, 2, None)
    _conforms(document["error"], ERROR, "error")
    assert document["error"]["stage"] == "program"


def test_no_secret_text_reaches_the_report_the_json_or_the_diagram(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = (REPO / "stacks" / "secrets" / "app-db-password.txt").read_text(encoding="utf-8")
    target, diagram = tmp_path / "app.json", tmp_path / "app.md"
    outcome = run_preview(
        capsys, "app", "--project", str(REPO), "--json", str(target), "--diagram", str(diagram)
    )
    assert outcome.code == 0, outcome.err
    shown = [outcome.out, outcome.err, target.read_text("utf-8"), diagram.read_text("utf-8")]
    for text in shown:
        assert secret.strip() not in text
    document = json.loads(shown[2])
    db = next(r for r in document["resources"] if r["name"] == "app-db")
    assert db["inputs"]["uploads"] == [
        {"file": "/run/secrets/db-password", "content": "[secret]", "permissions": "0444"}
    ]
