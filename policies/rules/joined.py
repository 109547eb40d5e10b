"""Joined-group rules: containers that share another container's network namespace.

They judge containers only: a swarm service has no `container:<x>` network mode (the swarm rule
`docker-service-disallow-joined-network-mode` refuses one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._argv import ends_at_once
from ._props import (
    UNKNOWN,
    Unknown,
    config_strings,
    finish,
    flag,
    items,
    number,
    port_number,
    quoted,
    strings,
    text,
)
from ._stack import StackIndex
from ._subject import Subject, for_subjects

Finding = tuple[str, str]  # (what the container sets, the engine's words about it)

_PORTS = "conflicting options: port publishing and the container type network mode"


def _set_options(props: Any) -> tuple[list[Finding], list[str]]:
    """The options a `container:` mode container may not set, and those unknown at preview."""
    found: list[Finding] = []
    unknown: list[str] = []
    ports = items(props, "ports")
    if isinstance(ports, Unknown):
        unknown.append("ports")
    elif ports:
        shown = ", ".join(port_number(number(p, "internal")) for p in ports)
        found.append((f"ports [{shown}]", _PORTS))
    publish_all = flag(props, "publishAllPorts")
    if isinstance(publish_all, Unknown):
        unknown.append("publishAllPorts")
    elif publish_all:
        found.append(("publishAllPorts true", _PORTS))
    hostname = text(props, "hostname")
    if isinstance(hostname, Unknown):
        unknown.append("hostname")
    elif hostname is not None:
        found.append(
            (f'hostname "{hostname}"', "conflicting options: hostname and the network mode")
        )
    dns, dns_unknown = strings(items(props, "dns"))
    if dns_unknown:
        unknown.append("dns")
    if dns:
        found.append((f"dns {quoted(dns)}", "conflicting options: dns and the network mode"))
    hosts = items(props, "hosts")
    if isinstance(hosts, Unknown):
        unknown.append("hosts")
    elif hosts:
        names = [h for h in (text(e, "host") for e in hosts) if isinstance(h, str)]
        found.append(
            (
                f"hosts {quoted(names)}",
                "conflicting options: custom host-to-IP mapping and the network mode",
            )
        )
    return found, unknown


@for_subjects(services=False)
def _options_with_joined(subject: Subject) -> Iterator[str]:
    view = subject.view
    target = view.join_target
    if target is None:
        return
    found, unknown = _set_options(subject.props)
    if isinstance(target, Unknown):
        if found or unknown:
            subject.undecided(f"the network mode of {subject.subject} is")
        return
    if target == "":
        yield (
            'network mode "container:" names no container; the engine refuses it with "Invalid '
            'network mode: invalid container format container:<name|id>"; write '
            "container:<name of the container to join>"
        )
        return
    for what, engine in found:
        yield (
            f'network mode "container:{target}" together with {what}; the engine refuses it '
            f'with "{engine}"; move it to "{target}", whose network namespace this container '
            "shares"
        )
    for attachment in view.attachments:
        if attachment.unknown_aliases:
            unknown.append("networksAdvanced aliases")
        if not attachment.aliases:
            continue
        network = attachment.network if isinstance(attachment.network, str) else "(unknown)"
        yield (
            f'network mode "container:{target}" together with aliases '
            f'{quoted(attachment.aliases)} on network "{network}"; the engine accepts them and '
            f'drops them (the container has only the interfaces of "{target}"), so the aliases '
            "never resolve and the declared networks never match the container; give the aliases "
            f'to "{target}", whose network namespace this container shares'
        )
    for what in unknown:
        subject.undecided(f"{what} of {subject.subject} is")


docker_container_disallow_options_with_joined_network = ResourceValidationPolicy(
    name="docker-container-disallow-options-with-joined-network",
    description=(
        "A container in container:<name> network mode sets no ports, publish-all-ports, "
        "hostname, dns servers, extra hosts or network aliases, and names the container it "
        "joins."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_options_with_joined,
)


@for_subjects(services=False)
def _ignored_options(subject: Subject) -> Iterator[str]:
    view = subject.view
    target = view.join_target
    if target is None or target == "":
        return
    found: list[str] = []
    unknown: list[str] = []
    domainname = subject.read(text, "domainname")
    if isinstance(domainname, Unknown):
        unknown.append("domainname")
    elif domainname is not None:
        found.append(f'domainname "{domainname}"')
    for key in ("dnsSearches", "dnsOpts"):
        values, is_unknown = strings(subject.read(items, key))
        if is_unknown:
            unknown.append(key)
        if values:
            found.append(f"{key} {quoted(values)}")
    if view.attachments_unknown:
        unknown.append("networksAdvanced")
    elif view.attachments:
        names = [a.network if isinstance(a.network, str) else "(unknown)" for a in view.attachments]
        found.append(f"networksAdvanced {quoted(names)}")
    if isinstance(target, Unknown):
        if found or unknown:
            subject.undecided(f"the network mode of {subject.subject} is")
        return
    for what in found:
        yield (
            f'network mode "container:{target}" together with {what}; the engine accepts it and '
            f'silently ignores it; move it to "{target}", whose network namespace this container '
            "shares"
        )
    for what in unknown:
        subject.undecided(f"{what} of {subject.subject} is")


docker_container_disallow_ignored_options_with_joined_network = ResourceValidationPolicy(
    name="docker-container-disallow-ignored-options-with-joined-network",
    description=(
        "A container in container:<name> network mode sets no domainname, dns search domains, "
        "dns options or networks of its own, which the engine would silently ignore."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_ignored_options,
)


_SHELL_IMAGES = frozenset({"busybox", "alpine", "debian", "ubuntu"})
"""Images whose default command is a shell, which ends at once without a terminal."""


def _repository(image: str) -> str:
    """`busybox` for `docker.io/library/busybox:1.36@sha256:...`."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _never_running(props: Any, image: str | Unknown | None) -> str | Unknown | None:
    """Why a container is not running once the provider has created it; None when it runs
    (or when nothing says otherwise: an image whose name is unknown is not guessed at)."""
    start = flag(props, "start")
    if isinstance(start, Unknown):
        return start
    if start is False:
        return "start false, so it is never started"
    entrypoint, entrypoint_unknown = strings(items(props, "entrypoints"))
    command, command_unknown = strings(items(props, "command"))
    if entrypoint_unknown or command_unknown:
        return UNKNOWN
    argv = [*entrypoint, *command]
    if argv:
        if ends_at_once(argv):
            return f"the command {quoted(argv)}, which ends as soon as it starts"
        return None
    tty, stdin_open = flag(props, "tty"), flag(props, "stdinOpen")
    for value in (tty, stdin_open):
        if isinstance(value, Unknown):
            return value
    if (
        isinstance(image, str)
        and _repository(image) in _SHELL_IMAGES
        and tty is not True
        and stdin_open is not True
    ):
        return (
            f'no command, so the image "{image}" runs its shell, which ends as soon as it '
            "starts without a terminal"
        )
    return None


def _not_kept_running(props: Any) -> list[str] | Unknown:
    """What may leave a running container stopped later (after a host or engine restart)."""
    must_run = flag(props, "mustRun")
    restart = text(props, "restart")
    if isinstance(must_run, Unknown) or isinstance(restart, Unknown):
        return UNKNOWN
    found: list[str] = []
    if must_run is False:
        found.append("mustRun false")
    if restart is None:
        found.append('no restart policy (the provider\'s default is "no")')
    elif restart == "no":
        found.append('restart "no"')
    return found


def _running_join_target(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    external = set(config_strings(args, "externalContainers", []))
    names_unknown = any(isinstance(c.view.name, Unknown) for c in index.containers)
    unknowns: list[str] = []
    for container in index.containers:
        label = container.view.label
        target = container.view.join_target
        if isinstance(target, Unknown):
            unknowns.append(f'the network mode of container "{label}" is')
            continue
        if not target or target in external:
            continue
        owner = index.container_named(target)
        if owner is None:
            if names_unknown:
                unknowns.append(f'whether "{target}" (joined by "{label}") is in the stack is')
                continue
            report(
                f'container "{label}": network mode "container:{target}" names no container of '
                "this stack; the engine creates the container and then fails to start it; name a "
                f'container of the stack, or list "{target}" in this policy\'s externalContainers '
                "config if it runs outside the stack.",
                container.urn,
            )
            continue
        problem = _never_running(owner.props, index.image_of(owner))
        if isinstance(problem, Unknown):
            unknowns.append(f'whether "{owner.view.label}" keeps running is')
        elif problem is not None:
            report(
                f'container "{label}": joins the network namespace of "{owner.view.label}", which '
                f"has {problem}; the engine refuses to start a container that joins a stopped one "
                '("cannot join network of a non running container"); give '
                f'"{owner.view.label}" a command that keeps running, and no start false.',
                container.urn,
            )
    finish(args, unknowns)


docker_container_require_running_join_target = StackValidationPolicy(
    name="docker-container-require-running-join-target",
    description=(
        "A container in container:<name> network mode joins a container of the stack (or a "
        "configured external one) that is running when it starts."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "externalContainers": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Names of containers outside the stack that may be joined.",
            }
        }
    ),
    validate=_running_join_target,
)


def _kept_running_join_target(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for container in index.containers:
        target = container.view.join_target
        if isinstance(target, Unknown):
            unknowns.append(f'the network mode of container "{container.view.label}" is')
            continue
        if not target:
            continue
        owner = index.container_named(target)
        if owner is None or owner.urn == container.urn:
            continue
        problems = _not_kept_running(owner.props)
        if isinstance(problems, Unknown):
            unknowns.append(f'whether "{owner.view.label}" is kept running is')
            continue
        if not problems:
            continue
        label, held = container.view.label, owner.view.label
        report(
            f'container "{label}": joins the network namespace of "{held}", which has '
            f'{" and ".join(problems)}; the engine starts "{label}" while "{held}" runs, but '
            f'nothing brings "{held}" back once it stops (after a host or engine restart it '
            f'stays stopped), and the engine then refuses to start "{label}" ("cannot join '
            'network of a non running container"); set mustRun true and restart '
            f'"unless-stopped" (or "always") on "{held}".',
            container.urn,
        )
    finish(args, unknowns)


docker_container_require_kept_running_join_target = StackValidationPolicy(
    name="docker-container-require-kept-running-join-target",
    description=(
        "A container in container:<name> network mode joins a container the engine keeps "
        "running: mustRun true and a restart policy that starts it again after a host restart."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_kept_running_join_target,
)


def _dependency_on_target(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    unknowns: list[str] = []
    for container in index.containers:
        target = container.view.join_target
        if isinstance(target, Unknown):
            unknowns.append(f'the network mode of container "{container.view.label}" is')
            continue
        if not target:
            continue
        owner = index.container_named(target)
        if owner is None or owner.urn == container.urn or owner.urn in container.dependencies:
            continue
        report(
            f'container "{container.view.label}": joins the network namespace of '
            f'"{owner.view.label}" but does not depend on its container resource '
            f'"{owner.resource_name}", so Pulumi may create it first and the engine then refuses '
            'to start it ("cannot join network of a non running container"); add that resource '
            "to depends_on, or build network_mode from its name output.",
            container.urn,
        )
    finish(args, unknowns)


docker_container_require_dependency_on_join_target = StackValidationPolicy(
    name="docker-container-require-dependency-on-join-target",
    description=(
        "A container in container:<name> network mode depends on the container whose network "
        "namespace it joins."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_dependency_on_target,
)

JOINED_POLICIES = [
    docker_container_disallow_options_with_joined_network,
    docker_container_disallow_ignored_options_with_joined_network,
    docker_container_require_running_join_target,
    docker_container_require_kept_running_join_target,
    docker_container_require_dependency_on_join_target,
]
"""The joined-group rules, in README order."""
