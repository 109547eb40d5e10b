"""The recorded plan: registrations as the Pulumi engine would see them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .vocabulary import STACK_TYPE
from .vocabulary import UNKNOWN_STRING_VALUE as UNKNOWN

__all__ = [
    "RESOURCE_MARK",
    "SECRET_SHOWN",
    "SECRET_SIG",
    "STACK_TYPE",
    "UNKNOWN",
    "Plan",
    "Registration",
    "plan_from_wire",
    "plan_to_wire",
    "references_as_ids",
    "without_secrets",
]

_T = TypeVar("_T")

SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key that marks a secret value on the wire: `{SECRET_SIG: <marker>, "value": <text>}`."""

SECRET_SHOWN = "[secret]"
"""What a report shows in place of a secret's text, as the Pulumi CLI does."""


RESOURCE_MARK = "5cf8f73096256a8f31e491e813e4eb8e"
"""The marker beside `SECRET_SIG` in a resource reference on the wire: `{SECRET_SIG: <marker>,
"urn": <urn>, "id": <id>}`, a component's without an id."""


def without_secrets(value: Any) -> Any:
    """`value` (wire-level JSON) with every secret's text replaced by `SECRET_SHOWN`."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return value if value[SECRET_SIG] == RESOURCE_MARK else SECRET_SHOWN
        return {key: without_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def references_as_ids(value: Any) -> Any:
    """`value` (wire-level JSON) with each resource reference as the engine hands it to a policy
    pack, which takes no references: the resource's id when it has one (unknown in a preview),
    else its URN (a component's)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == RESOURCE_MARK:
            return value["id"] if "id" in value else value.get("urn", "")
        return {key: references_as_ids(item) for key, item in value.items()}
    if isinstance(value, list):
        return [references_as_ids(item) for item in value]
    return value


@dataclass(frozen=True)
class Registration:
    """One `RegisterResource` call, with inputs under their wire (camelCase) names."""

    urn: str
    """The resource's URN, carrying its parent chain."""
    type: str
    """The type token, e.g. `docker:index/container:Container`."""
    name: str
    """The logical name given to the resource."""
    custom: bool
    """True for provider resources, False for components (and the stack)."""
    parent: str
    """The parent's URN, or "" for the root stack."""
    inputs: dict[str, Any]
    """Inputs as JSON values; numbers are floats and unknowns are the `UNKNOWN` sentinel."""
    dependencies: tuple[str, ...] = ()
    """URNs this resource depends on (explicit `depends_on` and those of its inputs)."""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each input property, the URNs its value came from."""
    provider: str = ""
    """The provider reference, when one was given."""
    id: str = ""
    """The id the mock returned: "" (unknown) during a preview."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The state the mock returned for the resource."""
    protect: bool = False
    """Whether the resource is protected from deletion."""
    delete_before_replace: bool = False
    """Whether a replacement deletes the old resource first."""
    ignore_changes: tuple[str, ...] = ()
    """Properties whose changes are ignored."""


@dataclass
class Plan:
    """Everything one run of a program registered: the root stack first, then each resource
    after its parent and its dependencies (ties by URN), the same order on every run."""

    project: str
    """The Pulumi project name."""
    stack: str
    """The stack name."""
    preview: bool
    """True when recorded as a preview (ids and computed outputs unknown)."""
    resources: list[Registration] = field(default_factory=list)
    """Every registration, the root stack first."""
    exports: dict[str, Any] = field(default_factory=dict)
    """The stack's exported outputs as JSON values (unknowns as the `UNKNOWN` sentinel)."""
    warnings: tuple[str, ...] = ()
    """What the program logged as warnings (`pulumi.log.warn`), such as Compose's own."""

    def of_type(self, type_token: str) -> list[Registration]:
        """The registrations of one type token, in plan order."""
        return [r for r in self.resources if r.type == type_token]

    def by_urn(self) -> dict[str, Registration]:
        """The registrations keyed by URN."""
        return {r.urn: r for r in self.resources}

    def named(self, name: str) -> Registration:
        """The one registration with this logical name (KeyError when there is none)."""
        for registration in self.resources:
            if registration.name == name and registration.type != STACK_TYPE:
                return registration
        raise KeyError(f"no resource named {name!r} in the plan")

    def children(self, parent_urn: str) -> Iterator[Registration]:
        """The registrations whose parent is `parent_urn`."""
        return (r for r in self.resources if r.parent == parent_urn)


def plan_to_wire(plan: Plan) -> dict[str, Any]:
    """`plan` as plain JSON, as the program's process hands it to the gate."""
    return {
        "project": plan.project,
        "stack": plan.stack,
        "preview": plan.preview,
        "exports": plan.exports,
        "warnings": list(plan.warnings),
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "parent": r.parent,
                "inputs": r.inputs,
                "dependencies": list(r.dependencies),
                "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                "provider": r.provider,
                "id": r.id,
                "outputs": r.outputs,
                "protect": r.protect,
                "deleteBeforeReplace": r.delete_before_replace,
                "ignoreChanges": list(r.ignore_changes),
            }
            for r in plan.resources
        ],
    }


def plan_from_wire(document: Any) -> Plan:
    """The `Plan` that `plan_to_wire` wrote; ValueError for anything else."""
    try:
        return Plan(
            project=_typed(document["project"], str),
            stack=_typed(document["stack"], str),
            preview=_typed(document["preview"], bool),
            exports=_typed(document["exports"], dict),
            warnings=_strings(document["warnings"]),
            resources=[
                Registration(
                    urn=_typed(r["urn"], str),
                    type=_typed(r["type"], str),
                    name=_typed(r["name"], str),
                    custom=_typed(r["custom"], bool),
                    parent=_typed(r["parent"], str),
                    inputs=_typed(r["inputs"], dict),
                    dependencies=_strings(r["dependencies"]),
                    property_dependencies={
                        _typed(key, str): _strings(urns)
                        for key, urns in _typed(r["propertyDependencies"], dict).items()
                    },
                    provider=_typed(r["provider"], str),
                    id=_typed(r["id"], str),
                    outputs=_typed(r["outputs"], dict),
                    protect=_typed(r["protect"], bool),
                    delete_before_replace=_typed(r["deleteBeforeReplace"], bool),
                    ignore_changes=_strings(r["ignoreChanges"]),
                )
                for r in _typed(document["resources"], list)
            ],
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a recorded plan ({type(error).__name__}: {error})") from None


def _typed(value: Any, kind: type[_T]) -> _T:
    if not isinstance(value, kind):
        raise TypeError(f"{value!r:.60} is not a {kind.__name__}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(_typed(item, str) for item in _typed(value, list))
