"""Stack config -> validated topology: every check that can be made before deployment.

Structure (keys, types, required values) is checked by pydantic against `schema`; meaning
(network references, unique container names, addresses, what sidecars may set) by the same
checks the components make, reported under the config key that holds the value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic

from ..addressing import AUTO, AddressPool
from ..application import application_problems
from ..attachment import not_attachable_reason
from ..checking import problems as type_problems
from ..container import port_conflicts
from ..dns_group import dns_group_problems
from ..joined_group import joined_group_problems, sidecar_option_problem
from ..naming import is_predefined_network
from ..network import network_args_problems, no_subnet_reason
from ..problems import Problem
from ..static_ip import static_problems
from ..swarm import (
    NO_JOINED_NAMESPACE,
    NO_STATIC_ADDRESS,
    local_network_reason,
    swarm_application_problems,
)
from ..volume import volume_args_problems
from .args import (
    NetworkLookup,
    container_specs,
    dns_group_args,
    joined_group_args,
    replace_specs,
    service_spec,
    static_args,
    swarm_service_spec,
)
from .errors import TopologyError
from .schema import TopologyConfig

ROOT = "topology"
"""The config key (under the project's namespace) that holds the topology."""

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
    return type_problems(error, TopologyConfig, ROOT)


def _meaning(config: TopologyConfig) -> tuple[list[Problem], TopologyConfig]:
    """Cross-value checks, and `auto` addresses handed out from each network's pool."""
    problems, pools = _networks(config)
    problems += _overlaps(pools)
    problems += _duplicate_names(config)
    problems += _network_references(config)
    problems += _volumes_and_secrets(config)
    problems += _target_problems(config)
    problems += port_conflicts(_engine_container_specs(config))
    if problems:
        return problems, config
    problems, resolved = _assign_addresses(config, pools)
    if problems:
        return problems, config
    resolved_config = _map_addresses(
        config, lambda path, _key, _holder, current: resolved.get(path, current)
    )
    return _component_problems(resolved_config), resolved_config


def network_driver(config: TopologyConfig, key: str) -> str:
    """The driver of a network of the config: its own, else the target's."""
    args = config.networks[key]
    if args.driver is not None:
        return args.driver
    return "overlay" if config.target == "swarm" else "bridge"


def _engine_container_specs(config: TopologyConfig) -> list[tuple[str, Any]]:
    """(config path, spec) of every container the engine itself runs: on a swarm, services
    are not containers of one engine, and their ports are checked as the swarm publishes."""
    if config.target == "engine":
        return list(container_specs(config))
    services = f"{ROOT}.services."
    return [(at, spec) for at, spec in container_specs(config) if not at.startswith(services)]


def _target_problems(config: TopologyConfig) -> list[Problem]:
    """What the target allows: overlay networks and deploy settings need a swarm; a swarm
    service has no static address, no sidecars and no bridge network; plain containers join
    only attachable overlays."""
    problems: list[Problem] = []
    swarm = config.target == "swarm"
    for key, args in config.networks.items():
        at = f"{ROOT}.networks.{key}"
        driver = network_driver(config, key)
        if driver == "overlay" and not swarm:
            problems.append(
                Problem(
                    f"{at}.driver",
                    'an overlay network needs a swarm; set target "swarm", or use driver '
                    '"bridge" on one engine',
                )
            )
        for option in ("attachable", "encrypted"):
            if getattr(args, option) and driver != "overlay":
                problems.append(
                    Problem(f"{at}.{option}", "applies to overlay networks only; remove it")
                )
    for key, service in config.services.items():
        at = f"{ROOT}.services.{key}"
        if not swarm:
            if service.deploy is not None:
                problems.append(
                    Problem(
                        f"{at}.deploy",
                        'applies to swarm services; set target "swarm", or remove it',
                    )
                )
            continue
        problems += _swarm_service_config_problems(config, at, service)
    if swarm:
        for path, key in _plain_container_networks(config):
            joined = config.networks.get(key)
            if (
                joined is not None
                and not joined.external
                and network_driver(config, key) == "overlay"
                and not joined.attachable
            ):
                problems.append(Problem(path, not_attachable_reason(joined.network_name or key)))
    return problems


def _swarm_service_config_problems(config: TopologyConfig, at: str, service: Any) -> list[Problem]:
    problems: list[Problem] = []
    if service.sidecars:
        problems.append(Problem(f"{at}.sidecars", NO_JOINED_NAMESPACE))
    if service.network_mode is not None:
        problems.append(
            Problem(
                f"{at}.network_mode",
                f'"{service.network_mode}": a swarm service is reached over overlay networks; '
                "attach it to networks instead",
            )
        )
    if service.loopback_ports:
        problems.append(
            Problem(
                f"{at}.loopback_ports",
                "only sidecars reach a container's loopback, and a swarm service has none; "
                "remove it",
            )
        )
    for net, attachment in service.networks.items():
        where = f"{at}.networks.{net}"
        args = config.networks.get(net)
        if args is not None and not args.external and network_driver(config, net) != "overlay":
            problems.append(
                Problem(where, local_network_reason(args.network_name or net, "bridge"))
            )
        if attachment is None:
            continue
        for attr in ("ipv4_address", "ipv6_address"):
            if getattr(attachment, attr) is not None:
                problems.append(Problem(f"{where}.{attr}", NO_STATIC_ADDRESS))
    return problems


def _plain_container_networks(config: TopologyConfig) -> list[tuple[str, str]]:
    """(config path, network key) of every network a plain container joins."""
    found = [(f"{ROOT}.dns_groups.{g}.network", d.network) for g, d in config.dns_groups.items()]
    for group, joined in config.joined_groups.items():
        found += [
            (f"{ROOT}.joined_groups.{group}.owner.networks[{i}].network", a.network)
            for i, a in enumerate(joined.owner.networks)
        ]
    found += [(f"{ROOT}.containers.{c}.network", s.network) for c, s in config.containers.items()]
    if config.target == "engine":
        for key, service in config.services.items():
            found += [(f"{ROOT}.services.{key}.networks.{net}", net) for net in service.networks]
    return found


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
        if not found and args.subnet is not None and not args.external:
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
        elif current is not None and key in config.networks:
            args = config.networks[key]
            if not args.external and args.subnet is None:
                problems.append(Problem(path, no_subnet_reason(args.network_name or key)))
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
    for key, service in config.services.items():
        at = f"{ROOT}.services.{key}"
        found.append(
            (
                f"{at}.container_name" if service.container_name else at,
                service.container_name or key,
            )
        )
        found += [(f"{at}.sidecars.{s}", s) for s in service.sidecars]
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
    for key, service in config.services.items():
        references += [(f"{ROOT}.services.{key}.networks.{net}", net) for net in service.networks]
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
    services = {}
    for key, service in config.services.items():
        holder = f'container "{service.container_name or key}"'
        attachments = {
            net: attachment
            if attachment is None
            else replace(
                attachment,
                ipv4_address=address(
                    f"{ROOT}.services.{key}.networks.{net}.ipv4_address",
                    net,
                    holder,
                    attachment.ipv4_address,
                ),
            )
            for net, attachment in service.networks.items()
        }
        services[key] = replace(service, networks=attachments)
    return replace(
        config,
        dns_groups=dns_groups,
        joined_groups=joined_groups,
        containers=containers,
        services=services,
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
    if config.services and config.target == "swarm":
        swarm = {key: swarm_service_spec(key, s, network) for key, s in config.services.items()}
        found, _order = swarm_application_problems(swarm)
        problems += [_service_field(p, config).under(ROOT) for p in found]
    elif config.services:
        specs = {key: service_spec(key, s, network) for key, s in config.services.items()}
        found, _order = application_problems(specs)
        problems += [_service_field(p, config).under(ROOT) for p in found]
    return problems


def _service_field(problem: Problem, config: TopologyConfig) -> Problem:
    """`services.web.networks[1].aliases[0]` -> `services.web.networks.back.aliases[0]`; a
    swarm service's `service_name` is the config's `container_name`."""
    parts = problem.field.split(".")
    if len(parts) == 3 and parts[0] == "services" and parts[2] == "service_name":
        parts[2] = "container_name"
    if len(parts) >= 3 and parts[0] == "services" and parts[2].startswith("networks["):
        index = int(parts[2][len("networks[") : parts[2].index("]")])
        keys = list(config.services[parts[1]].networks)
        rest = parts[2][parts[2].index("]") + 1 :]
        parts[2] = f"networks.{keys[index]}{rest}"
    return Problem(".".join(parts), problem.reason)


def _volumes_and_secrets(config: TopologyConfig) -> list[Problem]:
    """Volume and secret settings, and every mount and secret use pointing at one of them."""
    problems: list[Problem] = []
    for key, volume in config.volumes.items():
        at = f"{ROOT}.volumes.{key}"
        for problem in volume_args_problems(volume.volume_name or key, volume):
            field = (
                "" if problem.field == "volume_name" and not volume.volume_name else problem.field
            )
            problems.append(Problem(field, problem.reason).under(at))
    for key, source in config.secrets.items():
        given = [k for k in ("config", "file", "environment") if getattr(source, k) is not None]
        if len(given) != 1:
            problems.append(
                Problem(
                    f"{ROOT}.secrets.{key}",
                    "needs exactly one of config, file or environment to say where its text "
                    f"comes from; given: {', '.join(given) or 'none'}",
                )
            )
    volumes = ", ".join(config.volumes) or "none"
    secrets = ", ".join(config.secrets) or "none"
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
                        f"{at}.mounts[{index}].source",
                        f'"{mounted}" is not a volume of this topology; volumes: {volumes}',
                    )
                )
        for name, secret in spec.secrets.items():
            if secret.value is not None:
                problems.append(
                    Problem(
                        f"{at}.secrets.{name}.value",
                        "would put a secret's text in the stack file; declare it under "
                        "secrets with config, file or environment",
                    )
                )
            elif name not in config.secrets:
                problems.append(
                    Problem(
                        f"{at}.secrets.{name}",
                        f'"{name}" is not a secret of this topology; secrets: {secrets}',
                    )
                )
    return problems


def _with_paths(config: TopologyConfig, project_dir: Path | None) -> TopologyConfig:
    """`config` with relative bind-mount sources and build contexts made absolute."""
    if project_dir is None:
        return config

    def absolute(path: str) -> str:
        return path if path.startswith("/") else str((project_dir / path).resolve())

    def fix(_path: str, spec: Any) -> Any:
        mounts = tuple(
            dataclasses.replace(m, source=absolute(m.source))
            if m.type == "bind" and isinstance(m.source, str)
            else m
            for m in spec.mounts
        )
        build = spec.build
        if build is not None:
            build = dataclasses.replace(build, context=absolute(build.context))
        return dataclasses.replace(spec, mounts=mounts, build=build)

    return replace_specs(config, fix)


def _owner_name_at(problem: Problem) -> Problem:
    """A joined group's `owner_name` argument is the config's `owner.name` key."""
    if problem.field == "owner_name":
        return Problem("owner.name", problem.reason)
    return problem
