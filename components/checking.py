"""Types checked at run time: component arguments and config values, one way for both.

Pydantic validates a value against the same frozen dataclasses the components declare; a
mismatch becomes a `Problem` naming the argument path (`networks[0].aliases`) and what was
expected, never an AttributeError or TypeError deep inside a component. A string where a list
is expected is refused, not split into characters.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import operator
import types
import typing
import weakref
from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, TypeVar

import pulumi
import pydantic
import pydantic_core

from .problems import ComponentError, Location, Problem

T = TypeVar("T")


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic would read true as 1 (a port, a count)
        raise pydantic_core.PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Int = Annotated[int, pydantic.BeforeValidator(_whole_number)]
"""A whole number; true and false are refused, not read as 1 and 0."""

Seq = Annotated[Sequence[T], pydantic.AfterValidator(tuple)]
"""Any sequence the caller has (a list or a tuple, never a string), held as a tuple."""

CONFIG = pydantic.ConfigDict(
    extra="forbid", arbitrary_types_allowed=True, revalidate_instances="always"
)
"""Unknown keys are errors; resources and Outputs are checked by type; arguments given as
dataclass instances are checked field by field like plain maps."""


@cache
def adapter(cls: Any) -> pydantic.TypeAdapter[Any]:
    """The validator of `cls`, built once."""
    return pydantic.TypeAdapter(cls)


_VOUCHED: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
"""Arguments the topology built from a config its loader checked, by `id` (a dead one drops out)."""


def vouched(value: T) -> T:
    """`value`, arguments the topology builder made from a config its loader has checked
    against the same types: `checked` takes them as they are, instead of validating every field
    of every spec a second time. Only the builder vouches; arguments a program makes are always
    checked."""
    _VOUCHED[id(value)] = value
    return value


def checked(subject: str, value: Any, cls: type[T]) -> T:
    """`value` as a `cls`, its fields checked against their declared types (lists become
    tuples; a plain map of the same fields is accepted too). Arguments the topology builder
    `vouched` for are taken as they are.

    Raises `ComponentError` naming `subject` and each wrong field.
    """
    if type(value) is cls and _VOUCHED.get(id(value)) is value:
        return typing.cast(T, value)
    try:
        schema: Any = cls
        result: T = adapter(schema).validate_python(value)
        return result
    except pydantic.ValidationError as error:
        raise ComponentError(subject, problems(error, cls, ())) from None


def problems(
    error: pydantic.ValidationError, root: Any, prefix: Location, *, plain: bool = False
) -> list[Problem]:
    """One problem per wrong value, at its path under `prefix`; a value that matches no member
    of a union names every member it could have been (with `plain`, for config files, only the
    members a file can hold: no resources, no Outputs)."""
    by_path: dict[Location, list[tuple[Any, tuple[int | str, ...]]]] = {}
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not _is_branch(part))
        by_path.setdefault((*prefix, *loc), []).append((item, loc))
    found = []
    for path, every in by_path.items():
        items = [i for i in every if not (plain and i[0]["type"] == "is_instance_of")] or every
        kinds = {item["type"] for item, _ in items}
        resource = isinstance(items[0][0].get("input"), pulumi.Resource)
        if len(items) > 1 and kinds <= _TYPE_ERRORS and not resource:
            expected = [_EXPECTED.get(item["type"]) or _class(item) for item, _ in items]
            given = show(items[0][0].get("input"))
            found.append(
                Problem(path, f"expected {' or '.join(dict.fromkeys(expected))}, got {given}")
            )
        else:
            item, loc = items[0]
            found.append(Problem(path, _reason(item, loc, root)))
    return found


_TYPE_ERRORS = frozenset(
    {"string_type", "is_instance_of", "int_type", "bool_type", "tuple_type", "list_type",
     "dict_type", "dataclass_type", "none_required", "float_type", "sequence_str"}
)  # fmt: skip
_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "sequence_str": "a list",
    "dict_type": "a map",
    "dataclass_type": "a map",
    "none_required": "nothing (null)",
}


def _class(item: Any) -> str:
    name = str(item.get("ctx", {}).get("class", "a value"))
    if name in _DOCKER_RESOURCES:
        return f"a docker.{name}"
    return {"Output": "an Output", "Sequence": "a list"}.get(name, f"a {name}")


_DOCKER_RESOURCES = frozenset({"Network", "Volume", "RemoteImage", "Image", "Container"})


def _is_branch(part: int | str) -> bool:
    """Pydantic's names for union members (`str`, `is-instance[Output]`) are not keys."""
    return isinstance(part, str) and (part.startswith("is-instance[") or part in _BRANCHES)


_BRANCHES = frozenset({"str", "int", "bool", "float", "none", "tuple", "list", "dict"})


def _reason(item: Any, loc: tuple[int | str, ...], root: Any) -> str:
    kind: str = item["type"]
    given = show(item.get("input"))
    if isinstance(item.get("input"), pulumi.Resource):
        return _resource_reason(item["input"], hint_at(root, loc))
    if "missing" in kind:
        return "is required but missing"
    if kind in {"unexpected_keyword_argument", "extra_forbidden"}:
        allowed = allowed_keys(root, loc[:-1])
        return f"is not a known key; expected one of: {', '.join(allowed)}"
    if kind in {"string_type", "string_sub_type"}:
        return f"expected a string, got {given}"
    if kind == "is_instance_of":
        return f"expected {_class(item)}, got {given}"
    if kind.startswith("int_"):
        return f"expected a whole number, got {given}"
    if kind.startswith("bool_"):
        return f"expected true or false, got {given}"
    if kind in {"tuple_type", "list_type", "iterable_type", "sequence_str"}:
        return f"expected a list, got {given}"
    if kind in {"dict_type", "mapping_type", "dataclass_type", "dataclass_args_type"}:
        return f"expected a map of keys to values, got {given}"
    if kind == "literal_error":
        return f"expected one of {item['ctx']['expected']}, got {given}"
    return f"{item['msg']}, got {given}"


def _resource_reason(resource: pulumi.Resource, hint: Any) -> str:
    """A resource given where a name (or one of this library's components) is expected."""
    kind = f"{type(resource).__module__.split('.')[0]}.{type(resource).__name__}"
    name = getattr(resource, "_name", "")
    components = [
        option.__name__
        for option in typing.get_args(hint)
        if isinstance(option, type) and issubclass(option, pulumi.Resource)
    ]
    wanted = "a name (a string, or an Output of one)"
    if components:
        wanted += f" or a {' or a '.join(components)}"
    return (
        f'expected {wanted}, got the {kind} resource "{name}"; pass its name output '
        "(`resource.name`), which also makes the container depend on it"
    )


def show(value: Any) -> str:
    """A value as JSON where it can be, else what kind of object it is."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        kind = type(value)
        return f"a {kind.__module__.split('.')[0]}.{kind.__qualname__}"


def allowed_keys(root: Any, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at `loc` (the location of the map holding a bad key)."""
    current = _unwrap_optional(hint_at(root, loc))
    if dataclasses.is_dataclass(current):
        return [f.name for f in dataclasses.fields(current)]
    return []


def hint_at(root: Any, loc: tuple[int | str, ...]) -> Any:
    """The declared type at `loc` under `root` (None when the path leaves the schema)."""
    current: Any = root
    for part in loc:
        current = _unwrap_optional(current)
        if dataclasses.is_dataclass(current):
            hints = typing.get_type_hints(current)
            if str(part) not in hints:
                return None
            current = hints[str(part)]
        else:
            args = typing.get_args(current)
            is_map = typing.get_origin(current) in {dict, collections.abc.Mapping}
            if not args:
                return None
            current = args[1] if is_map else args[0]
    return current


def _unwrap_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in {typing.Union, types.UnionType}:
        options = [
            a for a in typing.get_args(hint) if a is not type(None) and not _is_resource_type(a)
        ]
        return options[0] if len(options) == 1 else hint
    return hint


def _is_resource_type(hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    return (
        isinstance(origin, type)
        and not dataclasses.is_dataclass(origin)
        and origin
        not in {
            str,
            int,
            bool,
            float,
            tuple,
            dict,
        }
    )


@cache
def _recast_plan(
    cls: type, shared: type
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], dict[str, Any], dict[str, Any], bool]:
    """What `recast` needs of `cls`: the field names it takes from `shared` and a getter of
    their values from an instance's dict, the defaults and default factories of its other
    fields, and whether the fast copy applies (a plain dataclass: no `__post_init__`, no slots,
    every field set by `__init__`, every field it does not share with a default)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    names = tuple(f.name for f in dataclasses.fields(shared))
    defaults: dict[str, Any] = {}
    factories: dict[str, Any] = {}
    complete = True
    for name, f in fields.items():
        if name in names:
            continue
        if f.default is not dataclasses.MISSING:
            defaults[name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            factories[name] = f.default_factory
        else:
            complete = False
    fast = (
        complete
        and set(names) <= fields.keys()
        and all(f.init for f in fields.values())
        and not hasattr(cls, "__post_init__")
        and "__slots__" not in vars(cls)
    )
    return names, _getter(names), defaults, factories, fast


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function of a dict giving the values of `names` as a tuple (a KeyError for a missing
    one)."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda given: tuple(given[name] for name in names)


def recast(cls: type[T], value: Any, shared: type, /, **changes: Any) -> T:
    """A `cls` holding `value`'s fields of the dataclass `shared` (a base of both), with
    `changes`: what `cls(**{f: getattr(value, f) for f in shared's fields}, **changes)` returns,
    made without running `__init__` field by field (a spec has about fifty fields, and every
    container's spec is made a service spec before it is checked and built). Unknown field
    names are refused as `__init__` refuses them; a class the fast copy does not apply to is
    left to `__init__`."""
    target: Any = cls
    names, take, defaults, factories, fast = _recast_plan(target, shared)
    given = getattr(value, "__dict__", None)
    if fast and given is not None and changes.keys() <= target.__dataclass_fields__.keys():
        try:
            state = dict(zip(names, take(given), strict=True))
        except KeyError:  # a field held elsewhere than the instance's dict: as below
            pass
        else:
            state.update(defaults)
            for name, factory in factories.items():
                if name not in changes:
                    state[name] = factory()
            state.update(changes)
            copy: T = object.__new__(cls)
            copy.__dict__.update(state)
            return copy
    return cls(**{f: getattr(value, f) for f in names}, **changes)


def replaced(value: T, /, **changes: Any) -> T:
    """`value`, a frozen dataclass instance, with `changes`: what `dataclasses.replace` returns,
    made without running `__init__` again field by field (a spec has about fifty fields and the
    loader copies each service several times). Unknown field names are refused as `replace`
    refuses them; a class with `__post_init__` or slots is left to `replace`."""
    cls = type(value)
    fields = getattr(cls, "__dataclass_fields__", None)
    if (
        fields is None
        or hasattr(cls, "__post_init__")
        or not hasattr(value, "__dict__")
        or not changes.keys() <= fields.keys()
    ):
        return dataclasses.replace(value, **changes)  # type: ignore[type-var]
    copy: T = object.__new__(cls)
    copy.__dict__.update(value.__dict__)
    copy.__dict__.update(changes)
    return copy
