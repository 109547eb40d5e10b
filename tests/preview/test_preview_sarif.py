"""`--sarif FILE`: the findings as SARIF 2.1.0, each at the line of the file that writes it.

The log is checked against the parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json)
that the gate writes: each object's required properties, property types and enumerations, and
no property the schema does not define (`additionalProperties: false` throughout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.preview.helpers_preview import REAL_PACK, real_project, run_preview
from tests.preview.test_preview_gate import TRAP

_BAG = {"type": "object"}
_INDEX = {"type": "integer", "minimum": -1}
_LEVEL = {"type": "string", "enum": ["none", "note", "warning", "error"]}
_STRING = {"type": "string"}

SARIF_2_1_0: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "runs"],
    "properties": {
        "$schema": _STRING,
        "version": {"type": "string", "enum": ["2.1.0"]},
        "runs": {"type": ["array", "null"], "items": {"$ref": "run"}},
        "properties": _BAG,
    },
    "definitions": {
        "run": {
            "type": "object",
            "additionalProperties": False,
            "required": ["tool"],
            "properties": {
                "tool": {"$ref": "tool"},
                "invocations": {"type": "array", "items": {"$ref": "invocation"}},
                "originalUriBaseIds": {
                    "type": "object",
                    "additionalProperties": {"$ref": "artifactLocation"},
                },
                "results": {"type": "array", "items": {"$ref": "result"}},
                "properties": _BAG,
            },
        },
        "tool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["driver"],
            "properties": {"driver": {"$ref": "toolComponent"}, "properties": _BAG},
        },
        "toolComponent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": _STRING,
                "version": _STRING,
                "informationUri": _STRING,
                "rules": {"type": "array", "items": {"$ref": "reportingDescriptor"}},
                "properties": _BAG,
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": _STRING,
                "name": _STRING,
                "shortDescription": {"$ref": "multiformatMessageString"},
                "fullDescription": {"$ref": "multiformatMessageString"},
                "defaultConfiguration": {"$ref": "reportingConfiguration"},
                "properties": _BAG,
            },
        },
        "reportingConfiguration": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "level": _LEVEL,
                "rank": {"type": "number", "minimum": -1},
                "parameters": _BAG,
                "properties": _BAG,
            },
        },
        "multiformatMessageString": {
            "type": "object",
            "additionalProperties": False,
            "required": ["text"],
            "properties": {"text": _STRING, "markdown": _STRING, "properties": _BAG},
        },
        "message": {
            "type": "object",
            "additionalProperties": False,
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {
                "text": _STRING,
                "markdown": _STRING,
                "id": _STRING,
                "arguments": {"type": "array", "items": _STRING},
                "properties": _BAG,
            },
        },
        "result": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message"],
            "properties": {
                "ruleId": _STRING,
                "ruleIndex": _INDEX,
                "kind": {
                    "type": "string",
                    "enum": ["notApplicable", "pass", "fail", "review", "open", "informational"],
                },
                "level": _LEVEL,
                "message": {"$ref": "message"},
                "locations": {"type": "array", "items": {"$ref": "location"}},
                "partialFingerprints": {"type": "object", "additionalProperties": _STRING},
                "properties": _BAG,
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "id": _INDEX,
                "physicalLocation": {"$ref": "physicalLocation"},
                "logicalLocations": {"type": "array", "items": {"$ref": "logicalLocation"}},
                "message": {"$ref": "message"},
                "properties": _BAG,
            },
        },
        "physicalLocation": {
            "type": "object",
            "additionalProperties": False,
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
            "properties": {
                "artifactLocation": {"$ref": "artifactLocation"},
                "region": {"$ref": "region"},
                "properties": _BAG,
            },
        },
        "artifactLocation": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "uri": _STRING,
                "uriBaseId": _STRING,
                "index": _INDEX,
                "properties": _BAG,
            },
        },
        "region": {
            "type": "object",
            "additionalProperties": False,
            "anyOf": [
                {"required": ["startLine"]},
                {"required": ["charOffset"]},
                {"required": ["byteOffset"]},
            ],
            "properties": {
                "startLine": {"type": "integer", "minimum": 1},
                "startColumn": {"type": "integer", "minimum": 1},
                "endLine": {"type": "integer", "minimum": 1},
                "endColumn": {"type": "integer", "minimum": 1},
                "properties": _BAG,
            },
        },
        "logicalLocation": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": _STRING,
                "index": _INDEX,
                "fullyQualifiedName": _STRING,
                "decoratedName": _STRING,
                "parentIndex": _INDEX,
                "kind": _STRING,
                "properties": _BAG,
            },
        },
        "invocation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["executionSuccessful"],
            "properties": {
                "commandLine": _STRING,
                "arguments": {"type": "array", "items": _STRING},
                "exitCode": {"type": "integer"},
                "executionSuccessful": {"type": "boolean"},
                "properties": _BAG,
            },
        },
    },
}

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """What `value` breaks of `schema` (the JSON Schema keywords the subset above uses)."""
    if "$ref" in schema:
        return schema_problems(value, SARIF_2_1_0["definitions"][schema["$ref"]], where)
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        fits = any(
            isinstance(value, _TYPES[n]) and not (n in ("integer", "number") and value is True)
            for n in names
        )
        if not fits or (isinstance(value, bool) and "boolean" not in names):
            return [f"{where}: {value!r} is not of type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
        problems.append(f"{where}: {value!r} is below {schema['minimum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{where}: {key!r} is required" for key in schema.get("required", ())]
        problems = [
            p for p in problems if not p.endswith("is required") or p.split("'")[1] not in value
        ]
        alternatives = schema.get("anyOf")
        if alternatives and not any(all(k in value for k in a["required"]) for a in alternatives):
            problems.append(f"{where}: needs one of {[a['required'] for a in alternatives]}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                problems += schema_problems(item, properties[key], f"{where}.{key}")
            elif extra is False:
                problems.append(f"{where}: {key!r} is not a property the schema defines")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}[{index}]")
    return problems


def test_the_schema_check_catches_what_sarif_refuses() -> None:
    bad = {
        "version": "2.0.0",
        "runs": [
            {
                "tool": {"driver": {}},
                "results": [
                    {
                        "level": "blocker",
                        "message": {"text": "x"},
                        "locations": [{"physicalLocation": {"region": {"startLine": 0}}}],
                        "extra": 1,
                    }
                ],
            }
        ],
    }
    assert schema_problems(bad, SARIF_2_1_0) == [
        "$.version: '2.0.0' is not one of ['2.1.0']",
        "$.runs[0].tool.driver: 'name' is required",
        "$.runs[0].results[0].level: 'blocker' is not one of ['none', 'note', 'warning', 'error']",
        "$.runs[0].results[0].locations[0].physicalLocation: needs one of [['address'], "
        "['artifactLocation']]",
        "$.runs[0].results[0].locations[0].physicalLocation.region.startLine: 0 is below 1",
        "$.runs[0].results[0]: 'extra' is not a property the schema defines",
    ]


def _sarif(
    capsys: pytest.CaptureFixture[str], project: Path, stack: str, code: int
) -> dict[str, Any]:
    target = project / "out.sarif"
    outcome = run_preview(
        capsys, stack, "--project", str(project), "--pack", str(REAL_PACK), "--sarif", str(target)
    )
    assert outcome.code == code, outcome.out + outcome.err
    assert f"SARIF: wrote {target}." in outcome.out
    log = json.loads(target.read_text())
    assert schema_problems(log, SARIF_2_1_0) == []
    return log


def _where(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_blocking_findings_are_errors_at_the_stack_file_line_of_their_container(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = real_project(tmp_path, {"trap": TRAP})
    monkeypatch.chdir(project)  # paths are relative to the folder the gate runs in
    log = _sarif(capsys, project, "trap", 1)
    run = log["runs"][0]
    probe_line = TRAP.splitlines().index("      probe:") + 1
    found = sorted((r["ruleId"], r["level"], *_where(r)) for r in run["results"])
    # The hygiene advice said once per stack is a warning at the stack file's first line.
    assert {r[1:] for r in found if r[1] != "error"} == {("warning", "stacks/Pulumi.trap.yaml", 1)}
    assert [r for r in found if r[1] == "error"] == [
        ("docker-container-enforce-allowed-capabilities", "error", "stacks/Pulumi.trap.yaml", 16),
        ("docker-container-require-shared-network-for-dns", "error", "stacks/Pulumi.trap.yaml", 16),
    ]
    assert probe_line == 16
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == (
            "%SRCROOT%"
        )
        if result["level"] == "error":
            assert result["message"]["text"].startswith("docker:index/container:Container: probe-")
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


COMPOSE = """\
services:
  web:
    image: busybox:1.36
  shell:
    image: busybox:1.36
    cap_add: [SYS_ADMIN]
"""


def test_a_compose_stacks_finding_is_at_the_compose_files_service_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = (
        "config:\n"
        "  container-comms:composeFile: compose.yaml\n"
        "  container-comms:composeProject: demo\n"
    )
    project = real_project(tmp_path, {"demo": stack})
    (project / "compose.yaml").write_text(COMPOSE)
    monkeypatch.chdir(project)
    log = _sarif(capsys, project, "demo", 1)
    found = [(r["ruleId"], r["level"], *_where(r)) for r in log["runs"][0]["results"]]
    assert [r for r in found if r[1] == "error"] == [
        ("docker-container-enforce-allowed-capabilities", "error", "compose.yaml", 4),
    ]


def test_a_stack_not_checked_is_one_error_at_the_line_its_error_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = TRAP.replace("subnet: 172.22.17.0/24", "subnet: 172.22.17.0/99")
    project = real_project(tmp_path, {"broken": stack})
    monkeypatch.chdir(project)
    log = _sarif(capsys, project, "broken", 2)
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("container-comms-not-checked", "error")
    assert _where(result) == ("stacks/Pulumi.broken.yaml", 7)
    assert result["message"]["text"].startswith("stack 'broken' not checked (program): ")
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": False, "exitCode": 2}]


def test_a_file_outside_the_current_folder_is_an_absolute_uri(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = real_project(tmp_path, {"trap": TRAP})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    log = _sarif(capsys, project, "trap", 1)
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (project / "stacks" / "Pulumi.trap.yaml").as_uri()}


REFUSED_IN_THE_PROGRAM = """\
from components import ContainerSpec, StaticIpContainer, StaticIpContainerArgs
from components import UserDefinedNetwork, UserDefinedNetworkArgs

net = UserDefinedNetwork("n", UserDefinedNetworkArgs(subnet="172.22.16.0/24"))
StaticIpContainer(
    "bbox3",
    StaticIpContainerArgs(network=net, container=ContainerSpec(image="x"), ipv4_address="10.9.9.9"),
)
"""

FAILS_IN_THE_PROGRAM = """\
import helpers

helpers.settings()
"""


def _not_checked_result(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
) -> dict[str, Any]:
    """The one result of gating a stack with no config whose program is `files` (`__main__.py`
    and any module beside it), run from the project's folder: it is not checked."""
    project = real_project(tmp_path, {"dev": "config: {}\n"})
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(project)
    log = _sarif(capsys, project, "dev", 2)
    [result] = log["runs"][0]["results"]
    return result


def test_a_component_the_program_made_and_the_library_refused_is_at_the_programs_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"__main__.py": REFUSED_IN_THE_PROGRAM}
    result = _not_checked_result(capsys, tmp_path, monkeypatch, files)
    # The library is a link out of the project here: its own lines are not the program's.
    assert _where(result) == ("__main__.py", 5)
    assert result["message"]["text"] == (
        "stack 'dev' not checked (program): __main__.py:5: static container \"bbox3\": "
        'ipv4_address: "10.9.9.9" is outside the subnet 172.22.16.0/24'
    )


def test_the_programs_own_error_is_at_the_innermost_line_of_the_projects_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "__main__.py": FAILS_IN_THE_PROGRAM,
        "helpers.py": "def settings():\n    return {}['port']\n",
    }
    result = _not_checked_result(capsys, tmp_path, monkeypatch, files)
    assert _where(result) == ("helpers.py", 2)
    assert result["message"]["text"] == (
        "stack 'dev' not checked (program): helpers.py:2: KeyError: 'port'"
    )
