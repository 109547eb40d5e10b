"""Policy configuration: the `--policy-pack-config` file format, reconciled as the CLI does.

A file maps policy names (or `all`) to an enforcement level (`"mandatory"`, `"advisory"`,
`"remediate"`, `"disabled"`) or to an object with an optional `enforcementLevel` and the
policy's settings. The CLI starts from each policy's default level and schema defaults, applies
the pack's `initial_config`, then the file (`all` first, then each policy), and validates every
policy's settings against its config schema before a single resource is analyzed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.inputfiles import InputFileError, read_text
from components.vocabulary import LEVELS
from preview.errors import GateError


class PolicyConfigError(GateError):
    """The policy configuration is unusable; the message names the file or the policy."""


@dataclass
class PolicySettings:
    """One policy's enforcement level and settings."""

    enforcement_level: str = ""
    """One of `LEVELS`, or "" when not given."""
    properties: dict[str, Any] = field(default_factory=dict)
    """The policy's own settings."""


@dataclass(frozen=True)
class PolicyMeta:
    """What the pack says about one of its policies (`GetAnalyzerInfo`)."""

    name: str
    description: str
    enforcement_level: str
    schema: dict[str, Any] | None
    """`{"properties": {...}, "required": [...]}`, or None without a config schema."""


def parse_policy_config(text: str, source: str) -> dict[str, PolicySettings]:
    """Parse the JSON of a policy config file; `source` names it in errors."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(
            f"{source}:{error.lineno}: malformed JSON: {error.msg} (column {error.colno})"
        ) from None
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{source}: a policy config is a JSON object of policy names")
    result: dict[str, PolicySettings] = {}
    for name, value in document.items():
        if isinstance(value, str):
            result[name] = PolicySettings(_level(value, name, source))
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", "")
            if not isinstance(level, str):
                raise PolicyConfigError(
                    f"{source}: {name}.enforcementLevel: {level!r} is not a valid enforcement "
                    "level; it must be a string"
                )
            result[name] = PolicySettings(_level(level, name, source) if level else "", properties)
        else:
            raise PolicyConfigError(
                f"{source}: {name}: {json.dumps(value)} is not a valid value; it must be an "
                "enforcement level or an object"
            )
    return result


def load_policy_config(path: Path) -> dict[str, PolicySettings]:
    """The policy config in `path` (a bounded regular file, like every file the gate reads)."""
    try:
        text = read_text(path, "policy config file")
    except InputFileError as error:
        raise PolicyConfigError(str(error), Path(error.file), error.line) from None
    return parse_policy_config(text, str(path))


def reconcile(
    policies: list[PolicyMeta],
    initial: dict[str, PolicySettings],
    given: dict[str, PolicySettings],
    pack_name: str,
) -> dict[str, PolicySettings]:
    """Every policy's final level and settings; raises on unknown names or invalid settings."""
    known = {p.name for p in policies}
    unknown = sorted(set(given) - known - {"all"})
    if unknown:
        raise PolicyConfigError(
            f"the policy config names {', '.join(unknown)}, which policy pack {pack_name!r} does "
            f"not have; its policies: {', '.join(sorted(known))}"
        )
    result: dict[str, PolicySettings] = {}
    for policy in policies:
        defaults = {
            key: spec["default"]
            for key, spec in ((policy.schema or {}).get("properties") or {}).items()
            if isinstance(spec, dict) and "default" in spec
        }
        result[policy.name] = PolicySettings(policy.enforcement_level, defaults)
    for layer in (initial, given):
        everything = layer.get("all")
        if everything is not None and everything.enforcement_level:
            for settings in result.values():
                settings.enforcement_level = everything.enforcement_level
        for name, settings in layer.items():
            if name == "all" or name not in result:
                continue
            if settings.enforcement_level:
                result[name].enforcement_level = settings.enforcement_level
            result[name].properties.update(settings.properties)
    problems: list[str] = []
    for policy in policies:
        if policy.schema is None:
            continue
        schema = {"type": "object", **policy.schema}
        for problem in validate(result[policy.name].properties, schema, ""):
            problems.append(f"{policy.name}: {problem}")
    if problems:
        raise PolicyConfigError("invalid policy config:\n  " + "\n  ".join(problems))
    return result


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "integer": (int, float),  # a whole float is an integer (config crosses protobuf as floats)
    "null": (type(None),),
}


def validate(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """The ways `value` breaks `schema` (the JSON Schema keywords config schemas use)."""
    at = where or "(root)"
    problems: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        ok = any(
            isinstance(value, _TYPES.get(name, (object,)))
            and not (name in ("number", "integer") and isinstance(value, bool))
            and not (name == "integer" and isinstance(value, float) and not value.is_integer())
            for name in names
        )
        if not ok:
            return [f"{at}: invalid type, expected {' or '.join(map(str, names))}"]
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        problems.append(f"{at}: {json.dumps(value)} is not one of {allowed}")
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key in schema.get("required") or []:
            if key not in value:
                problems.append(f"{at}: {key} is required")
        for key, item in value.items():
            child = f"{where}.{key}" if where else str(key)
            if key in properties and isinstance(properties[key], dict):
                problems.extend(validate(item, properties[key], child))
            elif schema.get("additionalProperties") is False:
                problems.append(f"{at}: additional property {key} is not allowed")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems.extend(validate(item, schema["items"], f"{where}[{index}]"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{at}: must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{at}: must be at most {schema['maximum']}")
    return problems


def _level(value: str, name: str, source: str) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{source}: {name}: {value!r} is not a valid enforcement level; "
            f"use one of {', '.join(LEVELS)}"
        )
    return value
