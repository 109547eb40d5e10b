"""Stack config -> validated topology: every check that can be made before deployment.

Structure (keys, types, required values) is checked by pydantic against `schema`; meaning
(network references, unique container names, addresses, what sidecars may set) by the same
checks the components make, reported under the config key that holds the value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic

from ..addressing import AUTO, AddressPool
from ..attachment import ipv6_problems, not_attachable_reason
from ..checking import problems as type_problems
from ..checking import replaced
from ..container import port_conflicts
from ..images import build_problems
from ..naming import is_predefined_network
from ..network import network_args_problems, no_subnet_reason
from ..problems import Location, Problem, render_path
from ..vocabulary import BRIDGE_NAME_OPTION, NETWORK_DRIVERS
from ..volume import volume_args_problems
from .args import NetworkLookup
from .errors import TopologyError
from .kinds import (
    KINDS,
    ROOT,
    Member,
    container_specs,
    members,
    placements,
    replace_specs,
    with_addresses,
)
from .schema import NetworkConfig, TopologyConfig
from .targets import network_driver, target_of

__all__ = ["ROOT", "load_topology"]

_ADAPTER = pydantic.TypeAdapter(TopologyConfig)


def load_topology(raw: Any, project_dir: Path | None = None) -> TopologyConfig:
    """Validate a `topology` config value; the result has every `auto` address resolved, and
    relative bind-mount and build paths resolved against `project_dir`.

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
    problems, resolved = _meaning(_with_paths(config, project_dir))
    if problems:
        raise TopologyError(problems)
    return resolved


def _structure_problems(error: pydantic.ValidationError) -> list[Problem]:
    return type_problems(error, TopologyConfig, (ROOT,), plain=True)


def _meaning(config: TopologyConfig) -> tuple[list[Problem], TopologyConfig]:
    """Cross-value checks, and `auto` addresses handed out from each network's pool."""
    problems, pools = _networks(config)
    problems += _overlaps(pools)
    problems += _duplicate_names(config)
    problems += _resource_collisions(config)
    problems += _network_references(config)
    problems += _volumes_and_secrets(config)
    problems += _target_problems(config)
    engine = container_specs(config, engine_only=True)
    problems += port_conflicts(engine)
    problems += _ipv6_addresses(config)
    problems += build_problems((at, spec.image, spec.build) for at, spec in engine)
    if problems:
        return problems, config
    problems, resolved = _assign_addresses(config, pools)
    if problems:
        return problems, config
    resolved_config = with_addresses(config, resolved)
    return _component_problems(resolved_config), resolved_config


def _target_problems(config: TopologyConfig) -> list[Problem]:
    """What the target allows: overlay networks need a swarm; each kind's own (a swarm
    service has no static address, no sidecars and no bridge network); containers the engine
    runs join only attachable overlays."""
    problems: list[Problem] = []
    target = target_of(config)
    own_keys = sorted({key for row in NETWORK_DRIVERS.values() for key in row.options})
    for key, args in config.networks.items():
        at = (ROOT, "networks", key)
        driver = network_driver(config, key)
        problems += target.network_problems(at, driver)
        for option in own_keys:
            if getattr(args, option) and option not in driver.options:
                takers = [row.name for row in NETWORK_DRIVERS.values() if option in row.options]
                problems.append(
                    Problem(
                        (*at, option),
                        f"applies to {' and '.join(takers)} networks only; remove it",
                        "incompatible",
                    )
                )
    problems += [problem for kind in KINDS for problem in kind.target_problems(config)]
    if target.swarm_networks:
        joins = {p.network_path: p.network for p in placements(config, engine_only=True)}
        for path, key in joins.items():
            joined = config.networks.get(key)
            if (
                joined is not None
                and not joined.external
                and network_driver(config, key).swarm_scoped
                and not joined.attachable
            ):
                problems.append(Problem(path, not_attachable_reason(joined.network_name or key)))
    return problems


def _networks(config: TopologyConfig) -> tuple[list[Problem], dict[str, AddressPool]]:
    """Each network's own problems, and an address pool for each network without any."""
    problems: list[Problem] = []
    pools: dict[str, AddressPool] = {}
    engine_names: dict[str, Location] = {}
    bridges: dict[str, Location] = {}
    for key, args in config.networks.items():
        at = (ROOT, "networks", key)
        name = args.network_name or key
        found = network_args_problems(name, args)
        for problem in found:
            named_by_key = problem.path == ("network_name",) and not args.network_name
            problems.append((problem.at_path(()) if named_by_key else problem).under(*at))
        if name in engine_names:
            problems.append(
                Problem(
                    (*at, "network_name") if args.network_name else at,
                    f'"{name}" is also the engine name of {render_path(engine_names[name])}; '
                    "network names are unique",
                )
            )
        engine_names.setdefault(name, at)
        bridge = args.driver_opts.get(BRIDGE_NAME_OPTION)
        if bridge and not args.external and network_driver(config, key).names_bridge:
            holder = bridges.setdefault(bridge, at)
            if holder != at:
                problems.append(
                    Problem(
                        (*at, "driver_opts", BRIDGE_NAME_OPTION),
                        f"{json.dumps(bridge)} is also the bridge of {render_path(holder)}; the "
                        "engine refuses "
                        "a second network on one bridge; give each its own bridge name",
                    )
                )
        if args.external:
            problems += _external_settings(at, args)
        elif not found and args.subnet is not None:
            pools[key] = AddressPool.for_network(
                args.subnet, args.gateway, args.ip_range, args.aux_addresses
            )
    return problems, pools


def _external_settings(at: Location, args: NetworkConfig) -> list[Problem]:
    """Settings of an external network, which this stack only uses and never creates."""
    default = NetworkConfig()
    return [
        Problem(
            (*at, option),
            "has no effect on an external network, which exists already and is only used "
            "here; remove it (keep network_name)",
        )
        for option in (f.name for f in dataclasses.fields(NetworkConfig))
        if option not in {"external", "network_name"}
        and getattr(args, option) != getattr(default, option)
    ]


def _ipv6_addresses(config: TopologyConfig) -> list[Problem]:
    """Static IPv6 addresses, each on a network of the stack that has an IPv6 subnet."""
    problems = []
    for placement in placements(config, engine_only=True):
        args = config.networks.get(placement.network)
        if placement.ipv6_address is None or args is None or args.external:
            continue  # a predefined network is refused elsewhere; an external one is not known
        name = args.network_name or placement.network
        problems += [
            Problem((*placement.path, "ipv6_address"), p.reason)
            for p in ipv6_problems(placement.ipv6_address, args.ipv6_subnet, name)
        ]
    return problems


def _assign_addresses(
    config: TopologyConfig, pools: Mapping[str, AddressPool]
) -> tuple[list[Problem], dict[Location, str]]:
    """Every static IPv4 address by attachment config path: explicit ones reserved first, then
    `auto` ones."""
    problems: list[Problem] = []
    resolved: dict[Location, str] = {}
    requests = []
    for placement in placements(config):
        if placement.ipv4_address is None:
            continue
        if placement.network in pools:
            requests.append(placement)
            continue
        args = config.networks.get(placement.network)
        if args is not None and not args.external and args.subnet is None:
            why = no_subnet_reason(args.network_name or placement.network)
            problems.append(Problem((*placement.path, "ipv4_address"), why))
    for explicit in (True, False):
        for placement in requests:
            address = placement.ipv4_address or ""
            if (address != AUTO) != explicit:
                continue
            pool = pools[placement.network]
            at = (*placement.path, "ipv4_address")
            if explicit:
                reason = pool.reserve(address, placement.holder)
                if reason:
                    problems.append(Problem(at, reason))
                resolved[placement.path] = address
                continue
            handed = pool.allocate(placement.holder)
            if handed is None:
                problems.append(
                    Problem(at, f"{pool.subnet} has no free address left for {placement.holder}")
                )
            else:
                resolved[placement.path] = handed
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
                    (ROOT, "networks", key, "subnet"),
                    f'{pool.subnet} overlaps {widest[1]} of network "{widest[0]}"; '
                    "the engine refuses overlapping pools, so choose a disjoint subnet",
                )
            )
        if widest is None or pool.subnet.broadcast_address > widest[1].broadcast_address:
            widest = (key, pool.subnet)
    return problems


def _duplicate_names(config: TopologyConfig) -> list[Problem]:
    seen: dict[str, Location] = {}
    problems = []
    for _kind, member in members(config):
        first = seen.setdefault(member.name, member.name_path)
        if first != member.name_path:
            problems.append(
                Problem(
                    member.name_path,
                    f'container name "{member.name}" is already used at {render_path(first)}; '
                    "names are unique on an engine",
                )
            )
    return problems


def _resource_collisions(config: TopologyConfig) -> list[Problem]:
    """Two containers whose resources would get one URN (the same resource name under the
    same component type: group `aa` with member `bb-cc`, and group `aa-bb` with `cc`)."""
    seen: dict[tuple[str, str], Member] = {}
    problems = []
    for kind, member in members(config):
        earlier = seen.setdefault((kind.component, member.resource), member)
        first = earlier.path
        if first != member.path and earlier.name != member.name:  # one name is told already
            problems.append(
                Problem(
                    member.path,
                    f'its resource name "{member.resource}" is also that of {render_path(first)}, '
                    "and the "
                    "engine refuses two resources with one URN; rename the group or the "
                    "container",
                )
            )
    return problems


def _network_references(config: TopologyConfig) -> list[Problem]:
    known = ", ".join(config.networks) or "none"
    references = {p.network_path: p.network for p in placements(config)}
    references.update(
        {(ROOT, "dns_groups", g, "network"): d.network for g, d in config.dns_groups.items()}
    )
    return [
        Problem(path, f'"{key}" is not a network of this topology; networks: {known}')
        for path, key in references.items()
        if key not in config.networks and not is_predefined_network(key)
    ]


def _engine_names(config: TopologyConfig) -> NetworkLookup:
    """Network keys -> engine names (predefined names stay as they are)."""

    def lookup(key: str) -> str:
        args = config.networks.get(key)
        return (args.network_name or key) if args is not None else key

    return lookup


def _component_problems(config: TopologyConfig) -> list[Problem]:
    """The components' own checks, placed under the config keys.

    A secret's use names a secret of the topology (checked before) and never holds its text,
    which is read only when the program builds the components: the checks see a stand-in. So
    does a config's use, of the config's kind (a mounted file, or text copied in).
    """
    mounted = {key for key, source in config.configs.items() if source.file is not None}

    def stand_ins(_path: Location, spec: Any) -> Any:
        if not spec.secrets and not spec.configs:
            return spec
        uses = {name: replaced(use, value="(secret)") for name, use in spec.secrets.items()}
        configs = {
            name: replaced(use, source="/(config file)")
            if name in mounted
            else replaced(use, content="(config)")
            for name, use in spec.configs.items()
        }
        return replaced(spec, secrets=uses, configs=configs)

    config = replace_specs(config, stand_ins)
    network = _engine_names(config)
    return [problem for kind in KINDS for problem in kind.problems(config, network)]


def _volumes_and_secrets(config: TopologyConfig) -> list[Problem]:
    """Volume, secret and config settings, and every mount, secret use and config use pointing
    at one of them."""
    problems: list[Problem] = []
    for key, volume in config.volumes.items():
        at: Location = (ROOT, "volumes", key)
        for problem in volume_args_problems(volume.volume_name or key, volume):
            named_by_key = problem.path == ("volume_name",) and not volume.volume_name
            problems.append((problem.at_path(()) if named_by_key else problem).under(*at))
    for key, source in config.secrets.items():
        given = [k for k in ("config", "file", "environment") if getattr(source, k) is not None]
        if len(given) != 1:
            problems.append(
                Problem(
                    (ROOT, "secrets", key),
                    "needs exactly one of config, file or environment to say where its text "
                    f"comes from; given: {', '.join(given) or 'none'}",
                )
            )
    for key, config_source in config.configs.items():
        given = [
            k for k in ("file", "content", "environment") if getattr(config_source, k) is not None
        ]
        if len(given) != 1:
            problems.append(
                Problem(
                    (ROOT, "configs", key),
                    "needs exactly one of file, content or environment to say where its text "
                    f"comes from; given: {', '.join(given) or 'none'}",
                )
            )
    volumes = ", ".join(config.volumes) or "none"
    secrets = ", ".join(config.secrets) or "none"
    configs = ", ".join(config.configs) or "none"
    for at, spec in container_specs(config):
        for index, mount in enumerate(spec.mounts):
            mounted = mount.source
            if (
                mount.type == "volume"
                and isinstance(mounted, str)
                and mounted not in config.volumes
            ):
                problems.append(
                    Problem(
                        (*at, "mounts", index, "source"),
                        f'"{mounted}" is not a volume of this topology; volumes: {volumes}',
                    )
                )
        for name, secret in spec.secrets.items():
            if secret.value is not None:
                problems.append(
                    Problem(
                        (*at, "secrets", name, "value"),
                        "would put a secret's text in the stack file; declare it under "
                        "secrets with config, file or environment",
                    )
                )
            elif name not in config.secrets:
                problems.append(
                    Problem(
                        (*at, "secrets", name),
                        f'"{name}" is not a secret of this topology; secrets: {secrets}',
                    )
                )
        for name, use in spec.configs.items():
            given = [attr for attr in ("content", "source") if getattr(use, attr) is not None]
            for attr in given:
                problems.append(
                    Problem(
                        (*at, "configs", name, attr),
                        "is given by the topology's configs section; declare the config "
                        "there with file, content or environment",
                    )
                )
            if not given and name not in config.configs:
                problems.append(
                    Problem(
                        (*at, "configs", name),
                        f'"{name}" is not a config of this topology; configs: {configs}',
                    )
                )
    return problems


def _with_paths(config: TopologyConfig, project_dir: Path | None) -> TopologyConfig:
    """`config` with relative bind-mount sources and build contexts made absolute."""
    if project_dir is None:
        return config

    def absolute(path: str) -> str:
        return path if path.startswith("/") else str((project_dir / path).resolve())

    def fix(_path: Location, spec: Any) -> Any:
        if not spec.mounts and spec.build is None:
            return spec
        mounts = tuple(
            replaced(m, source=absolute(m.source))
            if m.type == "bind" and isinstance(m.source, str)
            else m
            for m in spec.mounts
        )
        build = spec.build
        if build is not None:
            build = replaced(build, context=absolute(build.context))
        return replaced(spec, mounts=mounts, build=build)

    return replace_specs(config, fix)
