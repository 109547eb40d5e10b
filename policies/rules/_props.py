"""Reading pulumi-docker wire props without ever raising.

The analyzer hands a rule its props wrapped in pulumi-policy's unknown-checking proxy: reading a
value that is unknown at preview raises, and the whole rule would turn into a "can't run policy"
note. Rules therefore never index the proxy: they read props through the accessors here, which
look past the proxy one level at a time (`unwrap`, so only the keys a rule reads are touched and
nothing is copied), keep unknowns as the engine's sentinel strings, turn those into `UNKNOWN`, and
turn anything of an unexpected shape into "absent".
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Protocol

from pulumi_policy.proxy import UnknownValueError, _DictProxy, _ListProxy

# The wire vocabulary, under the names the rules use (the facts themselves live in vocabulary.py).
from .vocabulary import CONTAINER_TYPE as CONTAINER
from .vocabulary import DNS_GROUP_TYPE as DNS_GROUP
from .vocabulary import DOCKER_SECRET_TYPE as SECRET
from .vocabulary import DOCKER_SERVICE_TYPE as SERVICE
from .vocabulary import LABEL_PRESET, PREDEFINED_NETWORKS, UNKNOWN_SENTINELS
from .vocabulary import NETWORK_TYPE as NETWORK
from .vocabulary import REMOTE_IMAGE_TYPE as REMOTE_IMAGE

__all__ = [
    "CONTAINER",
    "DNS_GROUP",
    "LABEL_PRESET",
    "NETWORK",
    "PREDEFINED_NETWORKS",
    "REMOTE_IMAGE",
    "SECRET",
    "SERVICE",
    "UNKNOWN_SENTINELS",
]

_PROXIES = (_DictProxy, _ListProxy)


class Unknown:
    """The type of `UNKNOWN`: a value that is only known once the update runs."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()
"""A value that is unknown at preview."""


def plain(value: Any) -> Any:
    """`value` (props, possibly behind the unknown-checking proxy) as plain JSON values.

    Unknown values stay the engine's sentinel strings instead of raising; secrets are unwrapped.
    """
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, _PROXIES):
        # The proxy hands out what it wraps (unknowns still as sentinels) under this key; it is
        # what pulumi-policy's own serializer reads. The loops below are the slow, safe path.
        with contextlib.suppress(KeyError, IndexError, TypeError, UnknownValueError):
            value = value["__target"]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            try:
                item = value[key]
            except UnknownValueError as error:
                item = error.unknown_type_sentinel
            except (KeyError, TypeError):
                continue
            result[str(key)] = plain(item)
        return result
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                element = value[index]
            except UnknownValueError as error:
                element = error.unknown_type_sentinel
            except (IndexError, KeyError, TypeError):
                continue
            items.append(plain(element))
        return items
    inner = getattr(value, "value", None)  # pulumi_policy.Secret
    if inner is not None and type(value).__name__ == "Secret":
        return plain(inner)
    return str(value)


_AS_IS: Final = frozenset({str, bool, int, float, dict, list, type(None)})


def unwrap(value: Any) -> Any:
    """`value` one level deep, as `plain` would give it, without copying what lies below.

    A proxy gives the dict or list it wraps (whose elements may still be proxies, which the
    accessors unwrap in turn); plain JSON values come back as they are; anything else (another
    mapping or sequence, a secret, an asset) takes `plain`'s slow, safe path.
    """
    kind = type(value)
    if kind is _DictProxy or kind is _ListProxy:
        try:
            inner = value["__target"]
        except (KeyError, IndexError, TypeError, UnknownValueError):
            return plain(value)
        kind = type(inner)
        return inner if kind is dict or kind is list else plain(value)
    if kind in _AS_IS or isinstance(value, str | bool | int | float):
        return value
    return plain(value)


def is_unknown(value: Any) -> bool:
    """Whether `value` stands for something unknown at preview."""
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def _raw(obj: Any, key: str) -> object:
    if type(obj) is not dict:
        obj = unwrap(obj)
        if not isinstance(obj, dict):
            return UNKNOWN if is_unknown(obj) else None
    value = obj.get(key)
    if type(value) is str:
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    value = unwrap(value)
    return UNKNOWN if is_unknown(value) else value


def text(obj: Any, key: str) -> str | Unknown | None:
    """A string field: None when absent, null, empty or not a string."""
    value = _raw(obj, key)
    if value is UNKNOWN:
        return UNKNOWN
    return value if isinstance(value, str) and value != "" else None


def flag(obj: Any, key: str) -> bool | Unknown | None:
    """A boolean field: None when absent or not a boolean."""
    value = _raw(obj, key)
    if value is UNKNOWN:
        return UNKNOWN
    return value if isinstance(value, bool) else None


def number(obj: Any, key: str) -> float | Unknown | None:
    """A number field (they arrive as floats): None when absent or not a number."""
    value = _raw(obj, key)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def items(obj: Any, key: str) -> list[Any] | Unknown:
    """A list field: [] when absent, null or not a list; elements may be sentinels."""
    value = _raw(obj, key)
    if value is UNKNOWN:
        return UNKNOWN
    return [unwrap(v) for v in value] if isinstance(value, list) else []


def record(obj: Any, key: str) -> dict[str, Any] | Unknown:
    """An object field: {} when absent, null or not an object."""
    value = _raw(obj, key)
    if value is UNKNOWN:
        return UNKNOWN
    return dict(value) if isinstance(value, dict) else {}


def strings(values: list[Any] | Unknown) -> tuple[list[str], bool]:
    """The string elements of a list, and whether any element (or the list) is unknown."""
    if isinstance(values, Unknown):
        return [], True
    found: list[str] = []
    unknown = False
    for value in values:
        if is_unknown(value):
            unknown = True
        elif isinstance(value, str):
            found.append(value)
    return found, unknown


def quoted(values: Iterable[str]) -> str:
    """`["a", "b"]`: a list of strings as the messages show it (control characters escaped,
    like Go's %q, so no value can start a line of its own)."""
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def shown(value: str) -> str:
    """A user's string as messages show it: double-quoted, with quotes, backslashes, line breaks
    and other control characters escaped (like Go's `%q`), so no value can forge a line."""
    return json.dumps(value, ensure_ascii=False)


def port_number(value: Any) -> str:
    """A port as text: `8080` for `8080.0`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR subnet (host bits allowed, as the engine allows them), or None when it is not
    one; like the engine, a bare address without a prefix length is not one."""
    if "/" not in value or "%" in value:
        return None  # like Go's net.ParseCIDR, no zone (Python's own parser takes one)
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address, or None when it is not one; like Go's net.ParseIP, an IPv6 address with
    a zone (`fe80::1%eth0`, which Python's own parser takes) is not one."""
    if "%" in value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Attachment:
    """One `networksAdvanced` entry."""

    network: str | Unknown | None
    """The network's name (or an id, which is unknown at preview)."""
    aliases: list[str]
    """The known aliases."""
    ipv4_address: str | Unknown | None
    """The static IPv4 address, if any."""
    mac_address: str | Unknown | None
    """The static MAC address, if any."""
    unknown_aliases: bool = False
    """Whether some aliases are unknown."""
    ipv6_address: str | Unknown | None = None
    """The static IPv6 address, if any."""


@dataclass(frozen=True)
class ContainerView:
    """What the rules read from a container's props; the attachments and labels are read from
    them the first time a rule asks."""

    label: str
    """How messages name the container: its container name, else its resource name."""
    name: str | Unknown | None
    """The container name (`name` input)."""
    network_mode: str | Unknown | None
    """The network mode; None when unset."""
    props: Any = field(default=None, repr=False, compare=False)
    """The props the view reads from."""

    @cached_property
    def _networks_advanced(self) -> tuple[list[Attachment], bool]:
        entries = items(self.props, "networksAdvanced")
        if isinstance(entries, Unknown):
            return [], True
        attachments: list[Attachment] = []
        for entry in entries:
            if not isinstance(entry, Mapping) and not is_unknown(entry):
                continue
            aliases, unknown_aliases = strings(items(entry, "aliases"))
            attachments.append(
                Attachment(
                    network=text(entry, "name"),
                    aliases=aliases,
                    ipv4_address=text(entry, "ipv4Address"),
                    mac_address=text(entry, "macAddress"),
                    unknown_aliases=unknown_aliases,
                    ipv6_address=text(entry, "ipv6Address"),
                )
            )
        return attachments, False

    @property
    def attachments(self) -> list[Attachment]:
        """The `networksAdvanced` entries."""
        return self._networks_advanced[0]

    @property
    def attachments_unknown(self) -> bool:
        """Whether the `networksAdvanced` list itself is unknown."""
        return self._networks_advanced[1]

    @cached_property
    def labels(self) -> dict[str, str | Unknown]:
        """The labels, by key."""
        return labels_of(self.props)

    @property
    def join_target(self) -> str | Unknown | None:
        """x of a `container:<x>` network mode; "" for `container:`; None for other modes."""
        mode = self.network_mode
        if isinstance(mode, Unknown):
            return UNKNOWN
        if mode is None or not mode.startswith("container:"):
            return None
        return mode[len("container:") :]


def labels_of(props: Any) -> dict[str, str | Unknown]:
    """Labels given as pulumi-docker's list of `{label, value}` (or as a plain map)."""
    raw = _raw(props, "labels")
    result: dict[str, str | Unknown] = {}
    if isinstance(raw, list):
        for entry in raw:
            key = text(entry, "label")
            value = text(entry, "value")
            if isinstance(key, str):
                result[key] = value if value is not None else ""
    elif isinstance(raw, dict):
        for key, value in raw.items():
            if is_unknown(value):
                result[str(key)] = UNKNOWN
            elif isinstance(value, str):
                result[str(key)] = value
    return result


def container_label(props: Any, resource_name: str) -> str:
    """How messages name a container: its container name, else its resource name."""
    name = text(props, "name")
    return name if isinstance(name, str) else resource_name


def container_view(props: Any, resource_name: str) -> ContainerView:
    """Read a container's props into a `ContainerView`."""
    props = unwrap(props)
    name = text(props, "name")
    return ContainerView(
        label=name if isinstance(name, str) else resource_name,
        name=name,
        network_mode=text(props, "networkMode"),
        props=props,
    )


def undecided(what: str) -> str:
    """The note a rule leaves (as not-applicable) when a value it needs is unknown at preview."""
    return (
        f"cannot decide during preview: {what} unknown until the update; "
        "the rule decides when the update runs"
    )


class _HasConfig(Protocol):
    def get_config(self) -> Mapping[str, Any]: ...

    def not_applicable(self, reason: str | None = None) -> None: ...


def config_strings(args: _HasConfig, key: str, default: Sequence[str]) -> list[str]:
    """A list-of-strings setting of the rule's config, or `default` when it is not set."""
    try:
        value = plain(args.get_config()).get(key)
    except AttributeError:
        return list(default)
    if not isinstance(value, list):
        return list(default)
    return [v for v in value if isinstance(v, str)]


def finish(args: _HasConfig, unknowns: Sequence[str]) -> None:
    """Leave the could-not-decide note when some value the rule needed was unknown."""
    if unknowns:
        args.not_applicable(undecided("; ".join(dict.fromkeys(unknowns))))
