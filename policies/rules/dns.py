"""DNS rules: names resolve only on user-defined networks, and only if they are unambiguous."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

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
from ._services import stack_with_services
from ._stack import ContainerEntry, StackIndex, user_defined
from ._subject import Subject

_HOST: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A word that could be a host name (matched whole): `bbox1`, `db`, `api.internal`."""
_HOST_PORT: Final = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*):[0-9]{1,5}")
"""`db:5432`: a host name and a port."""
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@\s]*@)?([A-Za-z0-9][A-Za-z0-9_.-]*)")
"""`http://api:8080/x`, `postgres://user:pw@db/app`: a URL's host (at its start)."""

_HOST_ENV_WORDS: Final = frozenset(
    {"HOST", "HOSTS", "HOSTNAME", "SERVER", "SERVERS", "ADDR", "ADDRESS", "UPSTREAM", "PEER",
     "PEERS", "BROKER", "BROKERS", "ENDPOINT", "URL", "URI", "DSN", "DOMAIN", "NODES"}
)  # fmt: skip
"""Last words of environment variable names whose values name a host (`DB_HOST=db`)."""


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


@dataclass(frozen=True)
class _Mention:
    """A name a container's process may look up."""

    where: str
    """Where it is written: `command`, `env DB_HOST`, `healthcheck`."""
    name: str
    """The name, lower-cased (DNS names are case-blind)."""
    certain: bool
    """Whether the text is certainly a host (a program argument or option value, a URL's or
    a `host:port`'s host, the value of a variable named for a host); else a guess (a plain
    word in a variable whose name says nothing, which may be a user or a mail box)."""


def _host_of(value: str) -> tuple[str, bool] | None:
    """The host `value` names as a whole, and whether its form says it is one (a URL or
    `host:port`); None when it names none (a path, a sentence, an e-mail address)."""
    url = _URL.match(value)
    if url is not None:
        return url.group(1), True
    host_port = _HOST_PORT.fullmatch(value)
    if host_port is not None:
        return host_port.group(1), True
    if _HOST.fullmatch(value):
        return value, False
    return None


def _names_in(where: str, value: str, *, certain: bool) -> Iterator[_Mention]:
    """The names a value (or each entry of a comma-separated list) gives as a whole."""
    for part in value.split(",") if "," in value else [value]:
        found = _host_of(part.strip())
        if found is None:
            continue
        name = found[0].rstrip(".").lower()
        if name:
            yield _Mention(where, name, certain or found[1])


def _mentions(props: Any) -> tuple[list[_Mention], list[str]]:
    """The names a container's processes may look up, and the fields unknown at preview.

    Program names and the values of options that take no host are left out (see `_argv`); so
    is every text that is not a host as a whole (a path, an e-mail address, a sentence).
    """
    found: list[_Mention] = []
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
        where = "entrypoint" if index < len(entrypoint) else "command"
        found.extend(_names_in(where, word, certain=True))
    envs, envs_unknown = strings(items(props, "envs"))
    if envs_unknown:
        unknown.append("envs")
    for env in envs:
        key, sep, value = env.partition("=")
        last = key.rsplit("_", 1)[-1].upper()
        if sep and last not in _NOT_HOST_ENV_WORDS:
            found.extend(_names_in(f"env {key}", value, certain=last in _HOST_ENV_WORDS))
    healthcheck = record(props, "healthcheck")
    tests, tests_unknown = strings(
        healthcheck if isinstance(healthcheck, Unknown) else items(healthcheck, "tests")
    )
    if tests_unknown:
        unknown.append("healthcheck")
    words: list[tuple[int, str]] = []
    if tests and tests[0] == "CMD-SHELL":
        words = host_words(["sh", "-c", *tests[1:2]])
    elif tests and tests[0] == "CMD":
        words = host_words(tests[1:])
    elif tests and tests[0] != "NONE":
        words = host_words(tests)
    for _, word in words:
        found.extend(_names_in("healthcheck", word, certain=True))
    return found, unknown


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


def _unresolved(args: StackValidationArgs, report: ReportViolation, *, certain: bool) -> None:
    """Report the names (certain ones, or only guessed ones) that do not resolve; a swarm
    service is one more container (its task's), named as a service."""
    index, subjects = stack_with_services(args)
    names = _Names(index)
    unknowns: list[str] = []
    for container in index.containers:
        subject = subjects[container.urn].subject
        mentions, unknown = _mentions(container.props)
        if certain:
            unknowns.extend(f"the {what} of {subject} is" for what in unknown)
        # A name the container certainly looks up is the mandatory rule's, wherever else it is
        # also guessed at.
        sure = {m.name for m in mentions if m.certain}
        reported: set[str] = set()
        for mention in mentions:
            token = mention.name
            if token in reported or mention.certain != certain or (not certain and token in sure):
                continue
            verdict = _resolves(index, subjects, names, container, token)
            if isinstance(verdict, Unknown):
                if certain:
                    unknowns.append(f'the networks of {subject} or of "{token}" are')
            elif verdict is not None:
                reported.add(token)
                if certain:
                    report(
                        f'{subject}: {mention.where} names "{token}" ({verdict}), but '
                        "the two share no user-defined network, so the name does not resolve "
                        "(the embedded DNS server answers only on user-defined networks); attach "
                        "both to one user-defined network.",
                        container.urn,
                    )
                else:
                    report(
                        f'{subject}: {mention.where} is "{token}", which this rule '
                        f"guesses may be a host name: it is the name of {verdict}, and the two "
                        "share no user-defined network, so if the process looks it up, it does "
                        "not resolve; if it is a host, attach both to one user-defined network "
                        "(if it is not, say a user or a mail box, ignore this).",
                        container.urn,
                    )
    finish(args, unknowns)


def _shared_network_for_dns(args: StackValidationArgs, report: ReportViolation) -> None:
    _unresolved(args, report, certain=True)


def _guessed_shared_network(args: StackValidationArgs, report: ReportViolation) -> None:
    _unresolved(args, report, certain=False)


def _resolves(
    index: StackIndex,
    subjects: dict[str, Subject],
    names: _Names,
    container: ContainerEntry,
    token: str,
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
        return subjects[by_name[0].urn].subject
    target, network = by_alias[0]
    return f'an alias of {subjects[target.urn].subject} on network "{network}"'


docker_container_require_shared_network_for_dns = StackValidationPolicy(
    name="docker-container-require-shared-network-for-dns",
    description=(
        "A container whose command, entrypoint or healthcheck, or an environment variable "
        "named for a host or holding a URL or host:port, names another container of the stack "
        "shares a user-defined network with it, so the name resolves."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_shared_network_for_dns,
)

docker_container_require_shared_network_for_guessed_dns = StackValidationPolicy(
    name="docker-container-require-shared-network-for-guessed-dns",
    description=(
        "A container whose environment holds a plain word that is the name of another "
        "container of the stack (a guess: it may be a host, or a user or a mail box) shares a "
        "user-defined network with it."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_guessed_shared_network,
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
                if not first_is_name and not is_container_name:
                    continue  # one alias for several containers: the DNS round-robin
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
    description=(
        "No container's name is another container's alias on one network (one alias for "
        "several containers is the embedded DNS server's round-robin, and allowed)."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_duplicate_dns_name,
)

DNS_POLICIES = [
    docker_dns_group_require_user_defined_network,
    docker_container_require_shared_network_for_dns,
    docker_container_require_shared_network_for_guessed_dns,
    docker_network_disallow_duplicate_dns_name,
]
"""The DNS rules, in README order."""
