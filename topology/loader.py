"""Stack config -> validated topology: every check that can be made before deployment.

Structure (keys, types, required values) is checked by pydantic against `schema`; meaning
(network references, unique container names, addresses, what sidecars may set) by the same
checks the components make, reported under the config key that holds the value.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import ipaddress
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

import pydantic

from components import AUTO, AddressPool, Problem
from components.dns_group import dns_group_problems
from components.joined_group import joined_group_problems, sidecar_option_problem
from components.naming import is_predefined_network
from components.network import network_args_problems
from components.static_ip import static_problems
from topology.args import NetworkLookup, dns_group_args, joined_group_args, static_args
from topology.errors import TopologyError
from topology.schema import TopologyConfig

ROOT = "topology"
"""The config key (under the project's namespace) that holds the topology."""

_ADAPTER = pydantic.TypeAdapter(TopologyConfig)


def load_topology(raw: Any) -> TopologyConfig:
    """Validate a `topology` config value; the result has every `auto` address resolved.

    Raises `TopologyError` naming each bad value by its config key path.
    """
    if raw is None:
        raise TopologyError(
            [
                Problem(
                    ROOT,
                    "is not set; give the stack a `container-comms:topology` value, or a "
                    "`container-comms:topologyFile` naming a YAML file, in "
                    "stacks/Pulumi.<stack>.yaml",
                )
            ]
        )
    try:
        config = _ADAPTER.validate_python(raw)
    except pydantic.ValidationError as error:
        raise TopologyError(_structure_problems(error)) from None
    problems, resolved = _meaning(config)
    if problems:
        raise TopologyError(problems)
    return resolved


def _structure_problems(error: pydantic.ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        path = _path(loc)
        problems.append(Problem(path, _reason(item, loc)))
    return problems


def _path(loc: tuple[int | str, ...]) -> str:
    path = ROOT
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _reason(item: Any, loc: tuple[int | str, ...]) -> str:
    kind: str = item["type"]
    given = _show(item.get("input"))
    if "missing" in kind:
        return "is required but missing"
    if kind in {"unexpected_keyword_argument", "extra_forbidden"}:
        allowed = _allowed_keys(loc[:-1])
        return f"is not a known key; expected one of: {', '.join(allowed)}"
    if kind in {"string_type", "string_sub_type"}:
        return f"expected a string, got {given}"
    if kind.startswith("int_"):
        return f"expected a whole number, got {given}"
    if kind.startswith("bool_"):
        return f"expected true or false, got {given}"
    if kind in {"tuple_type", "list_type", "iterable_type"}:
        return f"expected a list, got {given}"
    if kind in {"dict_type", "mapping_type", "dataclass_type", "dataclass_args_type"}:
        return f"expected a map of keys to values, got {given}"
    if kind == "literal_error":
        return f"expected one of {item['ctx']['expected']}, got {given}"
    return f"{item['msg']}, got {given}"


def _show(value: Any) -> str:
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at `loc` (the location of the map holding a bad key)."""
    current: Any = TopologyConfig
    for part in loc:
        current = _unwrap_optional(current)
        if dataclasses.is_dataclass(current):
            current = typing.get_type_hints(current)[str(part)]
        else:
            args = typing.get_args(current)
            is_map = typing.get_origin(current) in {dict, collections.abc.Mapping}
            current = args[1] if is_map else args[0]
    current = _unwrap_optional(current)
    if dataclasses.is_dataclass(current):
        return [f.name for f in dataclasses.fields(current)]
    return []


def _unwrap_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in {typing.Union, types.UnionType}:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return options[0] if len(options) == 1 else hint
    return hint


def _meaning(config: TopologyConfig) -> tuple[list[Problem], TopologyConfig]:
    """Cross-value checks, and `auto` addresses handed out from each network's pool."""
    problems, pools = _networks(config)
    problems += _overlaps(pools)
    problems += _duplicate_names(config)
    problems += _network_references(config)
    if problems:
        return problems, config
    problems, resolved = _assign_addresses(config, pools)
    if problems:
        return problems, config
    resolved_config = _map_addresses(
        config, lambda path, _key, _holder, current: resolved.get(path, current)
    )
    return _component_problems(resolved_config), resolved_config


def _networks(config: TopologyConfig) -> tuple[list[Problem], dict[str, AddressPool]]:
    """Each network's own problems, and an address pool for each network without any."""
    problems: list[Problem] = []
    pools: dict[str, AddressPool] = {}
    engine_names: dict[str, str] = {}
    for key, args in config.networks.items():
        at = f"{ROOT}.networks.{key}"
        name = args.network_name or key
        found = network_args_problems(name, args)
        for problem in found:
            named_by_key = problem.field == "network_name" and not args.network_name
            problems.append(
                Problem("", problem.reason).under(at) if named_by_key else problem.under(at)
            )
        if name in engine_names:
            problems.append(
                Problem(
                    f"{at}.network_name" if args.network_name else at,
                    f'"{name}" is also the engine name of {engine_names[name]}; '
                    "network names are unique",
                )
            )
        engine_names.setdefault(name, at)
        if not found:
            pools[key] = AddressPool.for_network(
                args.subnet, args.gateway, args.ip_range, args.aux_addresses
            )
    return problems, pools


def _assign_addresses(
    config: TopologyConfig, pools: Mapping[str, AddressPool]
) -> tuple[list[Problem], dict[str, str]]:
    """Every static address by config path: explicit ones reserved first, then `auto` ones."""
    problems: list[Problem] = []
    resolved: dict[str, str] = {}
    requests: list[tuple[str, str, str, str]] = []

    def collect(path: str, key: str, holder: str, current: str | None) -> str | None:
        if current is not None and key in pools:
            requests.append((path, key, holder, current))
        return current

    _map_addresses(config, collect)
    for path, key, holder, address in requests:
        if address != AUTO:
            reason = pools[key].reserve(address, holder)
            if reason:
                problems.append(Problem(path, reason))
            resolved[path] = address
    for path, key, holder, address in requests:
        if address == AUTO:
            handed = pools[key].allocate(holder)
            if handed is None:
                problems.append(
                    Problem(path, f"{pools[key].subnet} has no free address left for {holder}")
                )
            else:
                resolved[path] = handed
    return problems, resolved


def _overlaps(pools: Mapping[str, AddressPool]) -> list[Problem]:
    """Subnets of two networks that overlap: the engine refuses the second network."""
    ordered = sorted(pools.items(), key=lambda item: item[1].subnet.network_address)
    problems = []
    widest: tuple[str, ipaddress.IPv4Network] | None = None
    for key, pool in ordered:
        if widest is not None and pool.subnet.overlaps(widest[1]):
            problems.append(
                Problem(
                    f"{ROOT}.networks.{key}.subnet",
                    f'{pool.subnet} overlaps {widest[1]} of network "{widest[0]}"; '
                    "the engine refuses overlapping pools, so choose a disjoint subnet",
                )
            )
        if widest is None or pool.subnet.broadcast_address > widest[1].broadcast_address:
            widest = (key, pool.subnet)
    return problems


def _containers(config: TopologyConfig) -> list[tuple[str, str]]:
    """(config path, container name) of every container, in config order."""
    found = []
    for group, dns in config.dns_groups.items():
        found += [(f"{ROOT}.dns_groups.{group}.members.{m}", m) for m in dns.members]
    for group, joined in config.joined_groups.items():
        found.append((f"{ROOT}.joined_groups.{group}.owner.name", joined.owner.name))
        found += [(f"{ROOT}.joined_groups.{group}.sidecars.{s}", s) for s in joined.sidecars]
    found += [(f"{ROOT}.containers.{c}", c) for c in config.containers]
    return found


def _duplicate_names(config: TopologyConfig) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for path, name in _containers(config):
        first = seen.setdefault(name, path)
        if first != path:
            problems.append(
                Problem(
                    path,
                    f'container name "{name}" is already used at {first}; '
                    "names are unique on an engine",
                )
            )
    return problems


def _network_references(config: TopologyConfig) -> list[Problem]:
    known = ", ".join(config.networks) or "none"
    references = [
        (f"{ROOT}.dns_groups.{g}.network", d.network) for g, d in config.dns_groups.items()
    ]
    for group, joined in config.joined_groups.items():
        references += [
            (f"{ROOT}.joined_groups.{group}.owner.networks[{i}].network", a.network)
            for i, a in enumerate(joined.owner.networks)
        ]
    references += [
        (f"{ROOT}.containers.{c}.network", s.network) for c, s in config.containers.items()
    ]
    return [
        Problem(path, f'"{key}" is not a network of this topology; networks: {known}')
        for path, key in references
        if key not in config.networks and not is_predefined_network(key)
    ]


AddressMap = typing.Callable[[str, str, str, str | None], str | None]
"""(config path, network key, holder, address) -> the address to keep there."""


def _map_addresses(config: TopologyConfig, address: AddressMap) -> TopologyConfig:
    """`config` with every static address passed through `address`: the one walk that knows
    where addresses are written and under which config path."""
    replace = dataclasses.replace
    dns_groups = {}
    for group, dns in config.dns_groups.items():
        members = {
            name: replace(
                spec,
                ipv4_address=address(
                    f"{ROOT}.dns_groups.{group}.members.{name}.ipv4_address",
                    dns.network,
                    f'container "{name}"',
                    spec.ipv4_address,
                ),
            )
            for name, spec in dns.members.items()
        }
        dns_groups[group] = replace(dns, members=members)
    joined_groups = {}
    for group, joined in config.joined_groups.items():
        holder = f'container "{joined.owner.name}"'
        networks = tuple(
            replace(
                attachment,
                ipv4_address=address(
                    f"{ROOT}.joined_groups.{group}.owner.networks[{index}].ipv4_address",
                    attachment.network,
                    holder,
                    attachment.ipv4_address,
                ),
            )
            for index, attachment in enumerate(joined.owner.networks)
        )
        joined_groups[group] = replace(joined, owner=replace(joined.owner, networks=networks))
    containers = {
        name: replace(
            static,
            ipv4_address=address(
                f"{ROOT}.containers.{name}.ipv4_address",
                static.network,
                f'container "{name}"',
                static.ipv4_address,
            )
            or static.ipv4_address,
        )
        for name, static in config.containers.items()
    }
    return replace(
        config, dns_groups=dns_groups, joined_groups=joined_groups, containers=containers
    )


def _engine_names(config: TopologyConfig) -> NetworkLookup:
    """Network keys -> engine names (predefined names stay as they are)."""

    def lookup(key: str) -> str:
        args = config.networks.get(key)
        return (args.network_name or key) if args is not None else key

    return lookup


def _component_problems(config: TopologyConfig) -> list[Problem]:
    """The components' own checks, placed under the config keys."""
    problems: list[Problem] = []
    network = _engine_names(config)
    for group, dns in config.dns_groups.items():
        at = f"{ROOT}.dns_groups.{group}"
        problems += [p.under(at) for p in dns_group_problems(dns_group_args(dns, network))]
    for group, joined in config.joined_groups.items():
        at = f"{ROOT}.joined_groups.{group}"
        found = joined_group_problems(joined_group_args(joined, network))
        problems += [_owner_name_at(p).under(at) for p in found]
        for name, sidecar in joined.sidecars.items():
            for option in ("aliases", "networks", "ipv4_address"):
                if getattr(sidecar, option):
                    problem = sidecar_option_problem(option, joined.owner.name)
                    problems.append(problem.under(f"{at}.sidecars.{name}"))
    for name, static in config.containers.items():
        at = f"{ROOT}.containers.{name}"
        for problem in static_problems(name, static_args(static, network)):
            field = "" if problem.field == "container_name" else problem.field
            problems.append(Problem(field, problem.reason).under(at))
    return problems


def _owner_name_at(problem: Problem) -> Problem:
    """A joined group's `owner_name` argument is the config's `owner.name` key."""
    if problem.field == "owner_name":
        return Problem("owner.name", problem.reason)
    return problem
