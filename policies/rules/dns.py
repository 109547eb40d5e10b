"""DNS rules: names resolve only on user-defined networks, and only if they are unambiguous."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._argv import host_words
from ._props import (
    DNS_GROUP,
    PREDEFINED_NETWORKS,
    UNKNOWN,
    Unknown,
    finish,
    items,
    record,
    strings,
    text,
    unwrap,
)
from ._stack import ContainerEntry, StackIndex, user_defined

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A word that could be a host name: `ping bbox1`, `DB_HOST=db`, `http://api:8080`."""


def _dns_group_network(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != DNS_GROUP:
        return
    network = text(unwrap(args.props), "network")
    if isinstance(network, Unknown):
        finish(args, [f'the network of DNS group "{args.name}" is'])
    elif network in PREDEFINED_NETWORKS:
        report(
            f'DNS group "{args.name}": network "{network}" is predefined, and the engine\'s '
            "embedded DNS server does not answer there, so member names do not resolve; put the "
            "group on a user-defined network.",
            None,
        )


docker_dns_group_require_user_defined_network = ResourceValidationPolicy(
    name="docker-dns-group-require-user-defined-network",
    description=(
        "A DNS group sits on a user-defined network, the only kind where the engine's embedded "
        "DNS server resolves container names."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_dns_group_network,
)


_NOT_HOST_ENV_WORDS = frozenset(
    {"USER", "USERNAME", "PASSWORD", "PASS", "PASSWD", "DB", "DATABASE", "DBNAME"}
)
"""Last words of environment variable names whose values are never host names
(`POSTGRES_USER=postgres`, `MYSQL_DATABASE=app`)."""


def _mentions(props: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(where, text) pairs a container's processes may read as host names, and the fields
    unknown at preview.

    Program names and the values of options that take no host are left out (see `_argv`).
    """
    found: list[tuple[str, str]] = []
    unknown: list[str] = []
    entrypoint, entrypoint_unknown = strings(items(props, "entrypoints"))
    command, command_unknown = strings(items(props, "command"))
    if entrypoint_unknown:
        unknown.append("entrypoint")
    if command_unknown:
        unknown.append("command")
    # The process runs the entrypoint with the command as its arguments; without an entrypoint
    # the command's first word is the program (or the image entrypoint's sub-command).
    for index, word in host_words([*entrypoint, *command]):
        found.append(("entrypoint" if index < len(entrypoint) else "command", word))
    envs, envs_unknown = strings(items(props, "envs"))
    if envs_unknown:
        unknown.append("envs")
    for env in envs:
        key, sep, value = env.partition("=")
        if sep and key.rsplit("_", 1)[-1].upper() not in _NOT_HOST_ENV_WORDS:
            found.append((f"env {key}", value))
    healthcheck = record(props, "healthcheck")
    tests, tests_unknown = strings(
        healthcheck if isinstance(healthcheck, Unknown) else items(healthcheck, "tests")
    )
    if tests_unknown:
        unknown.append("healthcheck")
    if tests and tests[0] == "CMD-SHELL":
        found.extend(("healthcheck", w) for _, w in host_words(["sh", "-c", *tests[1:2]]))
    elif tests and tests[0] == "CMD":
        found.extend(("healthcheck", w) for _, w in host_words(tests[1:]))
    elif tests and tests[0] != "NONE":
        found.extend(("healthcheck", w) for _, w in host_words(tests))
    return found, unknown


def _tokens(value: str) -> Iterator[str]:
    seen: set[str] = set()
    for match in _TOKEN.finditer(value):
        token = match.group(0).rstrip(".-").lower()
        if token and token not in seen:
            seen.add(token)
            yield token


class _Names:
    """Every DNS name of the stack's containers: container names and network-scoped aliases."""

    def __init__(self, index: StackIndex) -> None:
        self.names: dict[str, list[ContainerEntry]] = {}
        self.aliases: dict[str, list[tuple[ContainerEntry, str]]] = {}
        for container in index.containers:
            if isinstance(container.view.name, str):
                self.names.setdefault(container.view.name.lower(), []).append(container)
            for attachment in container.view.attachments:
                if isinstance(attachment.network, str):
                    for alias in attachment.aliases:
                        self.aliases.setdefault(alias.lower(), []).append(
                            (container, attachment.network)
                        )


def _shared_network_for_dns(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    names = _Names(index)
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        mentions, unknown = _mentions(container.props)
        unknowns.extend(f'the {what} of container "{label}" is' for what in unknown)
        reported: set[str] = set()
        for where, value in mentions:
            for token in _tokens(value):
                if token in reported:
                    continue
                verdict = _resolves(index, names, container, token)
                if isinstance(verdict, Unknown):
                    unknowns.append(f'the networks of container "{label}" or of "{token}" are')
                elif verdict is not None:
                    reported.add(token)
                    report(
                        f'container "{label}": {where} names "{token}" ({verdict}), but the two '
                        "share no user-defined network, so the name does not resolve (the "
                        "embedded DNS server answers only on user-defined networks); attach both "
                        "to one user-defined network.",
                        container.urn,
                    )
    finish(args, unknowns)


def _resolves(
    index: StackIndex, names: _Names, container: ContainerEntry, token: str
) -> str | Unknown | None:
    """None when `token` is no other container's name or resolves; else what it names."""
    by_name = [t for t in names.names.get(token, []) if t.urn != container.urn]
    by_alias = [(t, n) for t, n in names.aliases.get(token, []) if t.urn != container.urn]
    if not by_name and not by_alias:
        return None
    own = index.effective_networks(container)
    if isinstance(own, Unknown):
        return own
    reachable = user_defined(own)
    undecided = False
    for target in by_name:
        theirs = index.own_networks(target)
        if isinstance(theirs, Unknown):
            undecided = True
        elif reachable & user_defined(theirs):
            return None
    for _, network in by_alias:
        if network in reachable:
            return None
    if undecided:
        return UNKNOWN
    if by_name:
        return f'container "{by_name[0].view.label}"'
    target, network = by_alias[0]
    return f'an alias of container "{target.view.label}" on network "{network}"'


docker_container_require_shared_network_for_dns = StackValidationPolicy(
    name="docker-container-require-shared-network-for-dns",
    description=(
        "A container whose command, entrypoint, environment or healthcheck names another "
        "container of the stack shares a user-defined network with it, so the name resolves."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_shared_network_for_dns,
)


def _duplicate_dns_name(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    holders: dict[tuple[str, str], tuple[ContainerEntry, bool]] = {}
    unknowns: list[str] = []
    for container in index.containers:
        networks = index.own_networks(container)
        if isinstance(networks, Unknown):
            unknowns.append(f'the networks of container "{container.view.label}" are')
            continue
        per_network: dict[str, dict[str, bool]] = {n: {} for n in user_defined(networks)}
        if isinstance(container.view.name, str):
            for names in per_network.values():
                names[container.view.name.lower()] = True
        for attachment in container.view.attachments:
            if isinstance(attachment.network, str) and attachment.network in per_network:
                for alias in attachment.aliases:
                    per_network[attachment.network].setdefault(alias.lower(), False)
        for network, names in per_network.items():
            for name, is_container_name in names.items():
                first, first_is_name = holders.setdefault(
                    (network, name), (container, is_container_name)
                )
                if first is container or (first_is_name and is_container_name):
                    continue  # docker-container-disallow-duplicate-name covers two equal names
                # The alias is the offender when the other container holds it as its name.
                offender, other = (first, container) if is_container_name else (container, first)
                report(
                    f'container "{offender.view.label}": DNS name "{name}" on network '
                    f'"{network}" is also a name of container "{other.view.label}", so lookups of '
                    "it answer with either container; give each container its own names on a "
                    "network.",
                    offender.urn,
                )
    finish(args, unknowns)


docker_network_disallow_duplicate_dns_name = StackValidationPolicy(
    name="docker-network-disallow-duplicate-dns-name",
    description="No DNS name (container name or alias) belongs to two containers on one network.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_duplicate_dns_name,
)

DNS_POLICIES = [
    docker_dns_group_require_user_defined_network,
    docker_container_require_shared_network_for_dns,
    docker_network_disallow_duplicate_dns_name,
]
"""The DNS rules, in README order."""
