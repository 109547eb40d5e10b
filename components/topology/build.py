"""Validated topology -> components, and the outputs the stack exports."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from ..application import Application
from ..attachment import NetworkRef
from ..checking import replaced
from ..dns_group import DnsGroup
from ..images import ImageSet, ImageSetArgs
from ..inputfiles import InputFileError, inside, read_text
from ..joined_group import JoinedGroup
from ..network import UserDefinedNetwork, UserDefinedNetworkArgs
from ..overlay import OverlayNetwork, OverlayNetworkArgs
from ..problems import Location, Problem
from ..static_ip import StaticIpContainer
from ..swarm import SwarmApplication
from ..vocabulary import OVERLAY_NETWORK_TYPE, USER_DEFINED_NETWORK_TYPE
from ..volume import NamedVolume
from .errors import TopologyError
from .kinds import KINDS, replace_specs
from .loader import ROOT
from .schema import SecretSourceConfig, TopologyConfig
from .targets import network_driver

NETWORK_COMPONENTS: dict[str, tuple[type[UserDefinedNetwork], type[UserDefinedNetworkArgs]]] = {
    USER_DEFINED_NETWORK_TYPE: (UserDefinedNetwork, UserDefinedNetworkArgs),
    OVERLAY_NETWORK_TYPE: (OverlayNetwork, OverlayNetworkArgs),
}
"""The component (and its arguments) of each `component` a row of `NETWORK_DRIVERS` names."""


@dataclass
class Deployment:
    """The components of one topology."""

    images: ImageSet
    """The images every container runs, each pulled or built once."""
    networks: dict[str, UserDefinedNetwork] = field(default_factory=dict)
    """Networks this stack creates, by config key."""
    external_networks: dict[str, str] = field(default_factory=dict)
    """Networks this stack only uses, by config key: their engine names."""
    volumes: dict[str, NamedVolume] = field(default_factory=dict)
    """Named volumes by config key."""
    dns_groups: dict[str, DnsGroup] = field(default_factory=dict)
    """DNS groups by name."""
    joined_groups: dict[str, JoinedGroup] = field(default_factory=dict)
    """Joined groups by name."""
    containers: dict[str, StaticIpContainer] = field(default_factory=dict)
    """Static-address containers by name."""
    application: Application | None = None
    """The services, when the topology has any and targets one engine."""
    swarm: SwarmApplication | None = None
    """The services, when the topology has any and targets a swarm."""

    def exports(self) -> dict[str, Any]:
        """What other stacks consume: networks, DNS names, loopback endpoints, addresses."""
        static: dict[str, dict[str, str]] = {}
        for dns in self.dns_groups.values():
            if isinstance(dns.network_name, str):
                static.setdefault(dns.network_name, {}).update(dns.addresses)
        for joined in self.joined_groups.values():
            for network, address in joined.owner_addresses.items():
                static.setdefault(network, {})[joined.owner_name] = address
        for container in self.containers.values():
            if isinstance(container.network_name, str):
                static.setdefault(container.network_name, {})[container.container_name] = (
                    container.ip_address
                )
        loopback = {name: group.loopback_endpoints for name, group in self.joined_groups.items()}
        service_names: dict[str, dict[str, list[str]]] = {}
        if self.application is not None:
            for network, addresses in self.application.addresses.items():
                static.setdefault(network, {}).update(addresses)
            loopback.update(self.application.loopback_endpoints)
            service_names = self.application.dns_names
        swarm_services: dict[str, dict[str, str]] = {}
        if self.swarm is not None:
            service_names = self.swarm.dns_names
            swarm_services = {
                name: {"tasks": tasks, "endpointMode": self.swarm.endpoint_modes[name]}
                for name, tasks in self.swarm.task_names.items()
            }
        return {
            "networks": {
                key: {
                    "name": net.network_name,
                    "subnet": net.subnet,
                    "gateway": net.gateway,
                    "internal": net.internal,
                }
                for key, net in self.networks.items()
            },
            "dnsNames": {name: group.dns_names for name, group in self.dns_groups.items()},
            "serviceNames": service_names,
            "swarmServices": swarm_services,
            "loopbackEndpoints": loopback,
            "staticAddresses": static,
        }


def build_topology(config: TopologyConfig, project_dir: Path | None = None) -> Deployment:
    """Register the components of a topology that `load_topology` validated.

    Secrets are read here, as Pulumi secrets: from this project's config, from a file
    (relative to `project_dir`), or from an environment variable. So are configs' texts (a
    config file is mounted, not read).
    """
    secrets, problems = _secret_values(config, project_dir)
    configs, config_problems = _config_sources(config, project_dir)
    problems += config_problems
    if problems:
        raise TopologyError(problems)
    deployment = Deployment(images=ImageSet("images", ImageSetArgs(pull=config.pull_images)))
    for key, args in config.networks.items():
        if args.external:
            deployment.external_networks[key] = args.network_name or key
        else:
            driver = network_driver(config, key)
            component, component_args = NETWORK_COMPONENTS[driver.component]
            network_args = _args(component_args, args)
            deployment.networks[key] = component(key, network_args, driver=driver.name)
    for key, volume in config.volumes.items():
        deployment.volumes[key] = NamedVolume(key, volume)

    def network(key: str) -> NetworkRef:
        return deployment.networks.get(key) or deployment.external_networks.get(key, key)

    def resolve_refs(_path: Location, spec: Any) -> Any:
        mounts = tuple(
            replaced(m, source=deployment.volumes[m.source])
            if m.type == "volume" and isinstance(m.source, str)
            else m
            for m in spec.mounts
        )
        uses = {name: replaced(use, value=secrets[name]) for name, use in spec.secrets.items()}
        files = {name: replaced(use, **configs[name]) for name, use in spec.configs.items()}
        return replaced(spec, mounts=mounts, secrets=uses, configs=files)

    config = replace_specs(config, resolve_refs)
    built = {kind.key: kind.build(config, network, deployment.images) for kind in KINDS}
    every = {(key, name): c for key, section in built.items() for name, c in section.items()}
    deployment.dns_groups = {n: c for (_, n), c in every.items() if isinstance(c, DnsGroup)}
    deployment.joined_groups = {n: c for (_, n), c in every.items() if isinstance(c, JoinedGroup)}
    deployment.containers = {
        n: c for (_, n), c in every.items() if isinstance(c, StaticIpContainer)
    }
    deployment.application = next((c for c in every.values() if isinstance(c, Application)), None)
    deployment.swarm = next((c for c in every.values() if isinstance(c, SwarmApplication)), None)
    return deployment


def _args(kind: type[Any], config: Any) -> Any:
    """The component arguments of kind `kind` that a network's config holds."""
    return kind(**{f.name: getattr(config, f.name) for f in dataclasses.fields(kind)})


FILE_SIZE_LIMIT = 1024 * 1024
"""The most bytes a secret file may hold (1 MiB; a swarm takes at most 500 KiB)."""


def _config_sources(
    config: TopologyConfig, project_dir: Path | None
) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Each config's `ConfigSpec` fields: `source` (the absolute path of its file, mounted
    read-only) or `content` (its text); a source that gives nothing is a problem at its key."""
    found: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for name, source in config.configs.items():
        at = (ROOT, "configs", name)
        if source.content is not None:
            found[name] = {"content": source.content}
        elif source.file is not None:
            try:  # mounted, not read: inside the project, and a regular file
                path = inside(project_dir or Path.cwd(), source.file)
                if not path.is_file():
                    raise InputFileError(source.file, "is not a regular file", unreadable=True)
            except InputFileError as error:
                problems.append(
                    Problem(
                        (*at, "file"),
                        f'"{source.file}" {error.problem}; name a file in the project folder',
                    )
                )
                continue
            found[name] = {"source": str(path)}
        else:
            text = os.environ.get(source.environment or "")
            if text is None:
                problems.append(
                    Problem(
                        (*at, "environment"),
                        f'"{source.environment}" is not set in the environment of this run; '
                        "set it, or give the config as content or a file",
                    )
                )
                continue
            found[name] = {"content": text}
    return found, problems


def _secret_values(
    config: TopologyConfig, project_dir: Path | None
) -> tuple[dict[str, pulumi.Output[str]], list[Problem]]:
    """Every secret's text, as a Pulumi secret, read before anything is registered; a source
    that gives nothing is a problem at its config key."""
    values: dict[str, pulumi.Output[str]] = {}
    problems: list[Problem] = []
    for name, source in config.secrets.items():
        found = _secret_value(source, project_dir)
        if isinstance(found, Problem):
            problems.append(found.under(ROOT, "secrets", name))
        else:
            values[name] = found
    return values, problems


def _secret_value(
    source: SecretSourceConfig, project_dir: Path | None
) -> pulumi.Output[str] | Problem:
    if source.config is not None:
        value = pulumi.Config().get_secret(source.config)
        if value is None:
            return Problem(
                "config",
                f'"{source.config}" is not set in this stack\'s config; set it with '
                f"`pulumi config set --secret {source.config} <text>`",
            )
        return value
    if source.file is not None:
        try:  # inside the project, a bounded regular file; its text is never repeated
            path = inside(project_dir or Path.cwd(), source.file)
            return pulumi.Output.secret(read_text(path, "secret file", FILE_SIZE_LIMIT))
        except InputFileError as error:
            return Problem(
                "file",
                f'"{source.file}" {error.problem}; name a text file in the project folder',
            )
    text = os.environ.get(source.environment or "")
    if text is None:
        return Problem(
            "environment",
            f'"{source.environment}" is not set in the environment of this run; set it, or '
            "take the secret from config",
        )
    return pulumi.Output.secret(text)
