"""Container rules: names, and what a container may ask of a predefined network.

The alias rule judges a swarm service's aliases too (`taskSpec.networksAdvanceds`); the others
judge containers only: a service has no network mode, its static addresses and name are the
swarm rules' (`docker-service-disallow-static-ip`, `docker-service-enforce-valid-name`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    CONTAINER,
    PREDEFINED_NETWORKS,
    ContainerView,
    Unknown,
    finish,
    quoted,
    text,
    unwrap,
)
from ._stack import StackIndex
from ._subject import Subject, for_subjects
from .vocabulary import NAME_CHARS, is_container_name, is_dns_name


@for_subjects(services=False)
def _static_ip_on_predefined(subject: Subject) -> Iterator[str]:
    view = subject.view
    if view.attachments_unknown:
        subject.undecided(f"networksAdvanced of {subject.subject} is")
    for index, attachment in enumerate(view.attachments):
        address = attachment.ipv4_address
        if address is None:
            address = attachment.ipv6_address
        if address is None:
            continue
        if isinstance(attachment.network, Unknown):
            subject.undecided(f'the network of networksAdvanced[{index}] of "{view.label}" is')
        elif attachment.network is None or attachment.network in PREDEFINED_NETWORKS:
            network = attachment.network or "bridge"
            shown = address if isinstance(address, str) else "(unknown)"
            yield (
                f'static address "{shown}" on the predefined network "{network}"; the engine '
                'refuses it with "user specified IP address is supported on user defined '
                'networks only"; attach the container to a user-defined network with a '
                "configured subnet and give the address there"
            )


docker_container_disallow_static_ip_on_predefined_network = ResourceValidationPolicy(
    name="docker-container-disallow-static-ip-on-predefined-network",
    description=(
        "A container may give a static IPv4 or IPv6 address only on a user-defined network, "
        "never on bridge, default, host or none."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_static_ip_on_predefined,
)


@for_subjects(services=False)
def _alias_on_predefined(subject: Subject) -> Iterator[str]:
    view = subject.view
    if view.attachments_unknown:
        subject.undecided(f"networksAdvanced of {subject.subject} is")
    for index, attachment in enumerate(view.attachments):
        if not attachment.aliases and not attachment.unknown_aliases:
            continue
        if isinstance(attachment.network, Unknown):
            subject.undecided(f'the network of networksAdvanced[{index}] of "{view.label}" is')
        elif attachment.network is None or attachment.network in PREDEFINED_NETWORKS:
            shown = quoted(attachment.aliases) if attachment.aliases else "(unknown)"
            yield (
                f'aliases {shown} on the predefined network "{attachment.network or "bridge"}"; '
                'the engine refuses them with "network-scoped aliases are only supported for '
                'user-defined networks"; give aliases only on a user-defined network'
            )


docker_container_disallow_alias_on_predefined_network = ResourceValidationPolicy(
    name="docker-container-disallow-alias-on-predefined-network",
    description=(
        "A container may have network-scoped aliases only on a user-defined network, never on "
        "bridge, default, host or none."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_alias_on_predefined,
)


_HOST_CONNECT = "container cannot be disconnected from host network or connected to host network"
_SHARED = (
    "container sharing network namespace with another container or host cannot be connected to "
    "any other network"
)
_NONE = (
    "container cannot be connected to multiple networks with one of the networks in private "
    "(none) mode"
)


def _attachment_problems(view: ContainerView) -> list[tuple[str, str, str]]:
    """(what, when and the engine's message, fix) for attachments the engine refuses."""
    mode = view.network_mode
    if isinstance(mode, Unknown):
        return []
    names = [a.network for a in view.attachments if isinstance(a.network, str)]
    found: list[tuple[str, str, str]] = []
    if mode == "host":
        others = [n for n in names if n != "host"]
        if others:
            found.append(
                (
                    f'network mode "host" together with networksAdvanced {quoted(others)}',
                    f'at connect: "{_SHARED}"',
                    "a container on the host's network joins no other network; drop them, or "
                    "use a user-defined network instead of host",
                )
            )
        return found
    if "host" in names:
        found.append(
            (
                'networksAdvanced names "host"',
                f'at connect: "{_HOST_CONNECT}"',
                'drop it; a container reaches the host\'s network only through network mode "host"',
            )
        )
    if "default" in names:
        found.append(
            (
                'networksAdvanced names "default"',
                'at start: "network default not found"',
                'name "bridge" for the default bridge, or a user-defined network',
            )
        )
    others = [n for n in names if n not in ("none", "host", "default")]
    if mode == "none" and others:
        found.append(
            (
                f'network mode "none" together with networksAdvanced {quoted(others)}',
                f'at connect: "{_NONE}"',
                'drop network mode "none", or the networks',
            )
        )
    elif "none" in names:
        if mode not in (None, "bridge", "default", "none") and mode not in names:
            others = [mode, *others]
        if others:
            found.append(
                (
                    f'networksAdvanced names "none" beside {quoted(others)}',
                    f'at connect: "{_NONE}"',
                    'a container on "none" has no other network; drop "none", or the others',
                )
            )
    return found


@for_subjects(services=False)
def _network_attachments(subject: Subject) -> Iterator[str]:
    view = subject.view
    mode = view.network_mode
    if mode is not None and not isinstance(mode, Unknown) and mode.startswith("container:"):
        return  # docker-container-disallow-ignored-options-with-joined-network says so
    if view.attachments_unknown:
        subject.undecided(f"networksAdvanced of {subject.subject} is")
    if any(isinstance(a.network, Unknown) for a in view.attachments):
        subject.undecided(f"a network of {subject.subject} is")
    if isinstance(mode, Unknown):
        if view.attachments:
            subject.undecided(f"the network mode of {subject.subject} is")
        return
    for what, engine, fix in _attachment_problems(view):
        yield f"{what}; the engine refuses it {engine}; {fix}"


docker_container_enforce_valid_network_attachments = ResourceValidationPolicy(
    name="docker-container-enforce-valid-network-attachments",
    description=(
        "A container's networksAdvanced name networks it can join: never host (a container "
        "reaches the host's network only through network mode host) or default, and none only "
        "on its own; a host or none network mode comes with no other network."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_network_attachments,
)


def _valid_name(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    name = text(unwrap(args.props), "name")
    if isinstance(name, Unknown):
        finish(args, [f'the name of container resource "{args.name}" is'])
        return
    if name is not None and not is_container_name(name):
        report(
            f'container "{name}": name "{name}" is not a valid container name; the engine refuses '
            f'it with "Invalid container name ({name}), only {NAME_CHARS} are '
            'allowed"; use two or more characters of [a-zA-Z0-9_.-], starting with a letter or '
            "digit.",
            None,
        )


docker_container_enforce_valid_name = ResourceValidationPolicy(
    name="docker-container-enforce-valid-name",
    description=(
        "A container name has two or more characters of [a-zA-Z0-9_.-] and starts with a letter "
        "or digit."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_name,
)


def _duplicate_name(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    for name, entries in index.containers_by_name.items():
        first = entries[0]
        for entry in entries[1:]:
            report(
                f'container "{name}": name "{name}" is already used by container resource '
                f'"{first.resource_name}"; the engine refuses the second with "Conflict. The '
                f'container name "/{name}" is already in use by container ..."; give every '
                "container of the stack its own name.",
                entry.urn,
            )
    finish(
        args,
        [
            f'the name of container resource "{c.resource_name}" is'
            for c in index.containers
            if isinstance(c.view.name, Unknown)
        ],
    )


docker_container_disallow_duplicate_name = StackValidationPolicy(
    name="docker-container-disallow-duplicate-name",
    description="No two containers of a stack have the same container name.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_duplicate_name,
)


@for_subjects(services=True)
def _valid_alias(subject: Subject) -> Iterator[str]:
    view = subject.view
    for attachment in view.attachments:
        network = attachment.network if isinstance(attachment.network, str) else "(unknown)"
        for alias in attachment.aliases:
            if not is_dns_name(alias):
                yield (
                    f'alias "{alias}" on network "{network}" is not a valid DNS name, so lookups '
                    "of it can fail; use dot-separated labels of 1 to 63 letters, digits and "
                    "hyphens, not starting or ending with a hyphen"
                )
    for attachment in view.attachments:
        if attachment.unknown_aliases:
            subject.undecided(f"aliases of {subject.subject} are")
    if view.attachments_unknown:
        subject.undecided(f"{subject.where('networksAdvanced')} of {subject.subject} is")


docker_container_enforce_valid_alias = ResourceValidationPolicy(
    name="docker-container-enforce-valid-alias",
    description="A container's network aliases are valid DNS names.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_valid_alias,
)

CONTAINER_POLICIES = [
    docker_container_disallow_static_ip_on_predefined_network,
    docker_container_disallow_alias_on_predefined_network,
    docker_container_enforce_valid_network_attachments,
    docker_container_enforce_valid_name,
    docker_container_disallow_duplicate_name,
    docker_container_enforce_valid_alias,
]
"""The container rules, in README order."""
