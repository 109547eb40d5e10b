"""Swarm services: an application's services scheduled by Docker Swarm on overlay networks.

The same three ways, as a swarm has them:
- by name: a service answers to its name and aliases on each overlay network it is on (one
  virtual IP in endpoint mode `vip`, every task's address in mode `dnsrr`), and
  `tasks.<service>` answers with every task's address in either mode;
- by IP: a service has no static address (the swarm's allocator gives each task one), so one
  is refused here with the alternatives named;
- joined: a service has no `container:` network mode, so a joined group stays a group of plain
  containers on one engine, attached to an attachable overlay to reach services by name.

Secrets reach a service as swarm secrets (`docker.Secret`, a file in the task), never as
environment variables, which the service spec would show to anyone who can inspect it.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

import pulumi
import pulumi_docker as docker

from .attachment import Attachment, attachments, network_name
from .checking import Int, Seq, checked, recast
from .container import FILE_MODE, ContainerSpec, spec_problems
from .images import image_reference
from .naming import alias_problem, is_predefined_network
from .network import UserDefinedNetwork
from .overlay import OverlayNetwork
from .problems import Location, Problem, raise_if_any, render_path
from .service import ServiceSpec
from .services import wire
from .services.graph import (
    Condition,
    child_name,
    graph_problems,
    network_problems,
    register_services,
)
from .vocabulary import (
    LABEL_EXPOSE,
    LABEL_GROUP,
    LABEL_PREFIX,
    LABEL_ROLE,
    LABEL_STACK,
    REPLICAS_MAX,
    SERVICE_NAME_LIMIT,
    SWARM_APPLICATION_TYPE,
    TASK_MEMORY_MINIMUM_MIB,
    is_service_name,
)

TYPE = SWARM_APPLICATION_TYPE

EndpointMode = Literal["vip", "dnsrr"]
"""How a service's name resolves: to one virtual IP balanced over its tasks (`vip`), or to
every task's address (`dnsrr`)."""

SECRET_FILE_MODE = int(FILE_MODE, 8)
"""The mode of a secret's file in a task when none is given, as for a container's secrets
(and as `docker stack deploy` writes it)."""

# The swarm trims white space around the key and the value (a trailing newline included, seen
# on the engine: the task is placed); a line break inside is no constraint.
_CONSTRAINT = re.compile(r"\s*[\w.\-]+\s*(==|!=)\s*[^\s](?:[^\n\r]*[^\s])?\s*")
_RESTART_CONDITION = {"no": "none", "on-failure": "on-failure", "always": "any"}
_RESTART_CONDITION["unless-stopped"] = "any"

NO_STATIC_ADDRESS = (
    "a swarm service has no static address: the swarm's allocator gives each task its own, "
    "and a new one when the task is rescheduled; reach the service by its name (one virtual "
    'IP, endpoint_mode "vip") or each task by tasks.<service> (endpoint_mode "dnsrr")'
)
"""Why a static address on a swarm service is refused, and what to do instead."""

NO_JOINED_NAMESPACE = (
    "a swarm service cannot share its network namespace: services have no container: network "
    'mode (the engine refuses it with "network container:<name> not found"); make the owner '
    "and its sidecars a joined group of plain containers on an attachable overlay network"
)
"""Why sidecars of a swarm service are refused, and what to do instead."""

NO_ENV_SECRET = (
    "a swarm service reads secrets from files; an environment variable would put the "
    "secret's text in the service spec, which anyone who can inspect the service reads; "
    "give file (e.g. /run/secrets/<name>) instead"
)
"""Why a secret passed as an environment variable of a swarm service is refused."""

UNSUPPORTED_OPTIONS: dict[str, str] = {
    "build": (
        "a swarm's nodes pull the image themselves; build and push it to a registry the nodes "
        "reach, and name it in image"
    ),
    "pull": "each node pulls the image when it runs a task; remove pull",
    "privileged": "a swarm service cannot run privileged; add only the capabilities it needs",
    "devices": "a swarm service cannot map host devices; run it as a plain container",
    "ulimits": "pulumi-docker's Service has no ulimits; run it as a plain container",
    "configs": (
        "swarm configs are not deployed by container-comms; run the service as a plain "
        "container, or give the file as a secret"
    ),
    "pid_mode": "a swarm service cannot share the host's process namespace",
    "ipc_mode": "a swarm service cannot share another IPC namespace",
    "security_opt": "pulumi-docker's Service takes no security options; remove them",
    "shm_size": "a swarm service has no shm_size; mount a tmpfs at /dev/shm instead",
    "memory": "a swarm service's memory limit is deploy.limits.memory; set it there",
    "cpus": "a swarm service's CPU limit is deploy.limits.cpus; set it there",
    "memory_reservation": (
        "a swarm service's memory reservation is deploy.reservations.memory; set it there"
    ),
    "tmpfs": "a swarm service takes tmpfs as mounts of type tmpfs; give them in mounts",
    "tty": "pulumi-docker's Service takes no terminal; run it as a plain container",
    "device_requests": "pulumi-docker's Service takes no device requests; run it as a plain "
    "container",
    "stdin_open": "pulumi-docker's Service takes no open stdin; run it as a plain container",
    "platform": (
        "each node runs the image for its own platform; constrain placement to the nodes of "
        "that platform (node.platform.arch) instead"
    ),
}
"""Container options a swarm service cannot have, and why."""

_DEFAULTS: dict[str, Any] = {
    f.name: f.default_factory() if f.default_factory is not MISSING else f.default
    for f in fields(ContainerSpec)
}
"""Each container option's value when it is not given."""


@dataclass(frozen=True)
class UpdatePolicy:
    """How the swarm replaces a service's tasks on an update (or a rollback)."""

    parallelism: Int = 1
    """Tasks replaced at once (0: all at once)."""
    delay: str = "0s"
    """Time between batches."""
    failure_action: Literal["pause", "continue", "rollback"] = "pause"
    """What to do when a task fails to come up."""
    monitor: str = "5s"
    """How long each new task is watched for failure."""
    max_failure_ratio: float = 0.0
    """The share of tasks that may fail before `failure_action` applies."""
    order: Literal["stop-first", "start-first"] = "stop-first"
    """Stop the old task first, or start the new one first."""


@dataclass(frozen=True)
class Resources:
    """CPU and memory of each task."""

    cpus: str | None = None
    """CPUs, e.g. `"0.5"`."""
    memory: Int | None = None
    """Memory in MiB."""


@dataclass(frozen=True)
class RestartPolicy:
    """When the swarm restarts a task that stopped."""

    condition: Literal["none", "on-failure", "any"] = "any"
    """Never, after a non-zero exit, or always."""
    delay: str | None = None
    """Time between restarts."""
    max_attempts: Int | None = None
    """Restarts before giving up; None: no limit."""
    window: str | None = None
    """The window in which restarts count."""


@dataclass(frozen=True)
class Deploy:
    """How the swarm runs a service: its tasks, where, how they are updated and reached."""

    mode: Literal["replicated", "global"] = "replicated"
    """`replicas` tasks, or one task on every node that meets the constraints."""
    replicas: Int | None = None
    """The number of tasks of a replicated service (1 when None)."""
    constraints: Seq[str] = ()
    """Placement constraints, e.g. `node.role == manager`, `node.labels.zone != b`."""
    max_replicas_per_node: Int | None = None
    """The most tasks of the service one node runs."""
    update: UpdatePolicy | None = None
    """How tasks are replaced on an update; the engine's defaults when None."""
    rollback: UpdatePolicy | None = None
    """How tasks are replaced on a rollback; the engine's defaults when None."""
    limits: Resources | None = None
    """The most CPU and memory a task may use."""
    reservations: Resources | None = None
    """The CPU and memory a node must have free for a task."""
    restart_policy: RestartPolicy | None = None
    """When stopped tasks restart; from the container's `restart` when None."""
    endpoint_mode: EndpointMode = "vip"
    """How the service's name resolves (see `EndpointMode`)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the service itself (the container's `labels` go on its tasks)."""
    converge_timeout: str | None = "3m"
    """How long `pulumi up` waits for every task to run (healthy, with a healthcheck) before it
    fails; None: do not wait."""


@dataclass(frozen=True, kw_only=True)
class SwarmServiceSpec(ServiceSpec):
    """A service spec run by the swarm: the same service (its container, its overlay networks,
    the services it waits for: `pulumi up` waits for their tasks), plus how it is deployed.

    A swarm service has no container name, network mode, sidecars or loopback ports: the
    swarm target refuses them (see `ENGINE_ONLY`)."""

    service_name: str | None = None
    """The service's name on the swarm; the key when None."""
    deploy: Deploy = field(default_factory=Deploy)
    """Replicas, placement, update and rollback, resources, endpoint mode."""

    @classmethod
    def of(cls, spec: ServiceSpec, deploy: Deploy) -> SwarmServiceSpec:
        """`spec` deployed by the swarm with `deploy`, named by its `container_name`."""
        return recast(
            cls,
            spec,
            ServiceSpec,
            container_name=None,
            service_name=spec.container_name,
            deploy=deploy,
        )


@dataclass(frozen=True)
class SwarmApplicationArgs:
    """Swarm services by key; `depends_on` names other keys of the same application."""

    services: Mapping[str, SwarmServiceSpec]
    """The services by key (the service name unless the service sets `service_name`)."""


def swarm_service_name(key: str, spec: ServiceSpec) -> str:
    """The name of a service on the swarm."""
    return (spec.service_name if isinstance(spec, SwarmServiceSpec) else None) or key


def network_mode_reason(mode: str) -> str:
    """Why a swarm service with a network mode is refused."""
    return (
        f'"{mode}": a swarm service is reached over overlay networks; attach it to networks instead'
    )


NO_LOOPBACK = "only sidecars reach a container's loopback, and a swarm service has none; remove it"
"""Why loopback ports on a swarm service are refused."""

NO_CONTAINER_NAME = "a swarm service is named by its service_name; give the name there"
"""Why a container name on a swarm service is refused."""


def service_name_problem(name: str) -> str | None:
    """Why the swarm would refuse `name` for a service, or None."""
    if len(name) > SERVICE_NAME_LIMIT:
        return f'"{name}" is longer than 63 characters, which the swarm refuses for a service name'
    if not is_service_name(name):
        return (
            f"{json.dumps(name)} is not a valid service name: the swarm wants letters and "
            "digits, with - or _ between them (no dots)"
        )
    return None


NANO_CPUS_LIMIT = 2**63 - 1
"""The largest NanoCPUs the engine holds (an int64): about 9.2 billion CPUs."""


def _cpus(value: str) -> float | None:
    """A CPU count above 0 whose NanoCPUs fit the engine's int64 (not inf, nan or 1e400)."""
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) and 0 < parsed * 1e9 <= NANO_CPUS_LIMIT else None


def _deploy_problems(deploy: Deploy) -> list[Problem]:
    problems: list[Problem] = []
    if deploy.mode == "global" and deploy.replicas is not None:
        problems.append(
            Problem("replicas", "a global service runs one task on every node; remove replicas")
        )
    if deploy.replicas is not None and deploy.replicas < 0:
        problems.append(Problem("replicas", f"{deploy.replicas} is below 0"))
    if deploy.replicas is not None and deploy.replicas > REPLICAS_MAX:
        problems.append(
            Problem(
                "replicas",
                f"{deploy.replicas} is above {REPLICAS_MAX}, the most replicas the swarm takes",
            )
        )
    if deploy.max_replicas_per_node is not None and deploy.max_replicas_per_node < 1:
        problems.append(
            Problem(
                "max_replicas_per_node",
                f"{deploy.max_replicas_per_node} is below 1 (the engine reads 0 as no limit; "
                "remove it for that)",
            )
        )
    for index, constraint in enumerate(deploy.constraints):
        if not _CONSTRAINT.fullmatch(constraint):
            problems.append(
                Problem(
                    ("constraints", index),
                    f"{json.dumps(constraint)} is not a constraint; write <attribute> == <value> "
                    "or "
                    "<attribute> != <value>, e.g. node.role == manager",
                )
            )
    for name in ("update", "rollback"):
        policy: UpdatePolicy | None = getattr(deploy, name)
        if policy is None:
            continue
        problems += wire.duration_problems((name, "delay"), policy.delay)
        problems += wire.duration_problems((name, "monitor"), policy.monitor)
        if policy.parallelism < 0:
            problems.append(Problem((name, "parallelism"), f"{policy.parallelism} is below 0"))
        if not 0 <= policy.max_failure_ratio <= 1:
            problems.append(
                Problem(
                    (name, "max_failure_ratio"),
                    f"{policy.max_failure_ratio} is not a share between 0 and 1",
                )
            )
    for name in ("limits", "reservations"):
        resources: Resources | None = getattr(deploy, name)
        if resources is None:
            continue
        if resources.cpus is not None and _cpus(resources.cpus) is None:
            problems.append(
                Problem(
                    (name, "cpus"),
                    f'"{resources.cpus}" is not a number of CPUs above 0 (and at most '
                    f"{NANO_CPUS_LIMIT // 10**9}, what the engine can hold)",
                )
            )
        if resources.memory is not None and resources.memory < 0:
            problems.append(Problem((name, "memory"), f"{resources.memory} is below 0"))
        elif name == "limits" and resources.memory and resources.memory < TASK_MEMORY_MINIMUM_MIB:
            problems.append(
                Problem(
                    (name, "memory"),
                    f"{resources.memory} MiB is below the {TASK_MEMORY_MINIMUM_MIB} MiB the engine "
                    "needs for a task: the swarm creates the service and the engine rejects every "
                    'task ("Minimum memory limit allowed is 6MB"); give 6 or more',
                )
            )
    if deploy.restart_policy is not None:
        policy_ = deploy.restart_policy
        problems += wire.duration_problems(("restart_policy", "delay"), policy_.delay)
        problems += wire.duration_problems(("restart_policy", "window"), policy_.window)
        if policy_.max_attempts is not None and policy_.max_attempts < 0:
            problems.append(
                Problem(("restart_policy", "max_attempts"), f"{policy_.max_attempts} is below 0")
            )
    problems += wire.duration_problems("converge_timeout", deploy.converge_timeout)
    return [p.under("deploy") for p in problems]


def predefined_network_reason(name: str) -> str:
    """Why a swarm service on one of each node's predefined networks is refused."""
    effect = (
        "accepts it, and the tasks run on each node's default bridge, where no name resolves"
        if name in {"bridge", "default"}
        else "gives the tasks no overlay network, so no service name resolves"
    )
    return (
        f'"{name}" is a network of each node, not of the swarm: the engine {effect}; attach the '
        "service to an overlay network"
    )


def local_network_reason(name: str, driver: str) -> str:
    """Why a swarm service on a network of one engine (a bridge) is refused."""
    return (
        f'"{name}" is a {driver} network of one engine, and the engine refuses it for services '
        f'("The network {name} cannot be used with services. Only networks scoped to the swarm '
        'can be used, such as those created with the overlay driver."); attach the service to '
        "an overlay network"
    )


def _attachment_problems(attachment: Attachment) -> list[Problem]:
    """What the swarm refuses, or silently gets wrong, about one network of a service."""
    name = network_name(attachment.network)
    problems: list[Problem] = []
    if isinstance(name, str) and is_predefined_network(name):
        problems.append(Problem("network", predefined_network_reason(name)))
    elif isinstance(attachment.network, UserDefinedNetwork) and not isinstance(
        attachment.network, OverlayNetwork
    ):
        problems.append(
            Problem("network", local_network_reason(str(name), attachment.network.driver))
        )
    for attr in ("ipv4_address", "ipv6_address"):
        if getattr(attachment, attr) is not None:
            problems.append(Problem(attr, NO_STATIC_ADDRESS, "unsupported"))
    for index, alias in enumerate(attachment.aliases):
        reason = alias_problem(alias)
        if reason:
            problems.append(Problem(("aliases", index), reason))
    return problems


def _engine_only_problems(spec: ServiceSpec) -> list[Problem]:
    """The options of a service spec that only a container on one engine has."""
    problems: list[Problem] = []
    if spec.container_name is not None:
        problems.append(Problem("container_name", NO_CONTAINER_NAME))
    if spec.network_mode is not None:
        problems.append(Problem("network_mode", network_mode_reason(spec.network_mode)))
    if spec.sidecars:
        problems.append(Problem("sidecars", NO_JOINED_NAMESPACE))
    if spec.loopback_ports:
        problems.append(Problem("loopback_ports", NO_LOOPBACK))
    return problems


def swarm_service_problems(key: str, spec: ServiceSpec) -> list[Problem]:
    """What the swarm would refuse, or silently get wrong, about one service."""
    name = swarm_service_name(key, spec)
    named = isinstance(spec, SwarmServiceSpec) and spec.service_name
    deploy = spec.deploy if isinstance(spec, SwarmServiceSpec) else Deploy()
    problems: list[Problem] = []
    reason = service_name_problem(name)
    if reason:
        problems.append(Problem("service_name" if named else "", reason))
    problems += _engine_only_problems(spec)
    problems += spec_problems(spec)
    for option, why in UNSUPPORTED_OPTIONS.items():
        if getattr(spec, option) != _DEFAULTS[option]:
            problems.append(Problem(option, why))
    for index, port in enumerate(spec.ports):
        if port.host_ip not in {"0.0.0.0", "::"}:
            problems.append(
                Problem(
                    ("ports", index, "host_ip"),
                    f'"{port.host_ip}": a swarm service publishes on every interface of every '
                    'node (mode "ingress") or of its node (mode "host"), never on one address; '
                    'set host_ip "0.0.0.0" to accept that, or do not publish the port and reach '
                    "the service over its overlay network",
                )
            )
    if deploy.endpoint_mode == "dnsrr":
        for index, port in enumerate(spec.ports):
            if port.mode == "ingress" and port.external is not None:
                problems.append(
                    Problem(
                        ("ports", index),
                        "published in ingress mode, which needs the service's virtual IP, but "
                        'deploy.endpoint_mode is "dnsrr" (the engine refuses it: "port published '
                        "with ingress mode can't be used with dnsrr mode\"); publish it in mode "
                        '"host", or use endpoint_mode "vip"',
                    )
                )
    for secret_name, secret in spec.secrets.items():
        if secret.env is not None:
            problems.append(Problem(("secrets", secret_name, "env"), NO_ENV_SECRET))
    problems += network_problems(spec.networks, _attachment_problems)
    problems += _deploy_problems(deploy)
    return problems


class SwarmTarget:
    """A swarm: each service is a `docker.Service` whose tasks the swarm schedules on overlay
    networks, reached by name (no static address, no joined namespace), publishing ports
    through the routing mesh or on its node."""

    noun = "service"

    def names(self, key: str, spec: ServiceSpec, at: Location) -> list[tuple[str, Location]]:
        named = isinstance(spec, SwarmServiceSpec) and spec.service_name
        return [(swarm_service_name(key, spec), (*at, "service_name") if named else at)]

    def service_problems(self, key: str, spec: ServiceSpec) -> list[Problem]:
        return swarm_service_problems(key, spec)

    def wait_problems(self, other: str, condition: Condition, dependency: ServiceSpec) -> list[str]:
        if condition == "service_completed_successfully":
            return [
                "a swarm restarts a service's tasks when they exit, so no service completes; "
                "wait for service_started or service_healthy, or run the job outside the swarm"
            ]
        return []

    def conflicts(self, services: Mapping[str, ServiceSpec]) -> list[Problem]:
        problems: list[Problem] = []
        published: dict[tuple[int, str], Location] = {}
        for key, spec in services.items():
            for index, port in enumerate(spec.ports):
                if port.mode != "ingress" or port.external is None:
                    continue
                at: Location = ("services", key, "ports", index)
                holder = published.setdefault((port.external, port.protocol), at)
                if holder != at:
                    problems.append(
                        Problem(
                            at,
                            f"port {port.external}/{port.protocol} is already published through "
                            f"the routing mesh by {render_path(holder)}, and every node holds it "
                            "for that service; publish another port",
                        )
                    )
        return problems


SWARM = SwarmTarget()
"""The swarm target."""


def swarm_application_problems(
    services: Mapping[str, SwarmServiceSpec], name: str
) -> tuple[list[Problem], list[str]]:
    """Each service's problems and the graph's on a swarm, and the order to register in;
    `name` is the application's."""
    return graph_problems(services, name, SWARM)


def _restart(spec: SwarmServiceSpec) -> docker.ServiceTaskSpecRestartPolicyArgs:
    policy = spec.deploy.restart_policy or RestartPolicy(
        condition=_RESTART_CONDITION[spec.restart]  # type: ignore[arg-type]
    )
    return docker.ServiceTaskSpecRestartPolicyArgs(
        condition=policy.condition,
        delay=policy.delay,
        max_attempts=policy.max_attempts,
        window=policy.window,
    )


def _update(policy: UpdatePolicy | None, args: Any) -> Any:
    if policy is None:
        return None
    return args(
        parallelism=policy.parallelism,
        delay=policy.delay,
        failure_action=policy.failure_action,
        monitor=policy.monitor,
        max_failure_ratio=str(policy.max_failure_ratio),
        order=policy.order,
    )


def _resources(deploy: Deploy) -> docker.ServiceTaskSpecResourcesArgs | None:
    if deploy.limits is None and deploy.reservations is None:
        return None
    limits = deploy.limits
    reservations = deploy.reservations
    return docker.ServiceTaskSpecResourcesArgs(
        limits=docker.ServiceTaskSpecResourcesLimitsArgs(
            nano_cpus=wire.nano_cpus(limits.cpus), memory_bytes=wire.memory_bytes(limits.memory)
        )
        if limits is not None
        else None,
        reservation=docker.ServiceTaskSpecResourcesReservationArgs(
            nano_cpus=wire.nano_cpus(reservations.cpus),
            memory_bytes=wire.memory_bytes(reservations.memory),
        )
        if reservations is not None
        else None,
    )


def _network_entry(
    attachment: Attachment,
) -> tuple[docker.ServiceTaskSpecNetworksAdvancedArgs, list[pulumi.Resource]]:
    """A service's network by the network resource's id (a name would make the provider
    replace the service on every update: the engine stores the id), whether a component's or a
    plain `docker.Network`; an existing network given by name stays a name."""
    aliases = list(attachment.aliases) or None
    if isinstance(attachment.network, UserDefinedNetwork):
        net = attachment.network
        return (
            docker.ServiceTaskSpecNetworksAdvancedArgs(id=net.network.id, aliases=aliases),
            [net],
        )
    if isinstance(attachment.network, docker.Network):
        plain = attachment.network
        return (
            docker.ServiceTaskSpecNetworksAdvancedArgs(id=plain.id, aliases=aliases),
            [plain],
        )
    return docker.ServiceTaskSpecNetworksAdvancedArgs(name=attachment.network, aliases=aliases), []


def secret_data(value: str) -> str:
    """A secret's text as the provider takes it: base64."""
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


@dataclass
class BuiltSwarmService:
    """The resource and names of one registered swarm service."""

    service_name: str
    """The service's name on the swarm."""
    service: docker.Service
    """The service resource."""
    dns_names: dict[str, list[str]]
    """The names that resolve to it on each network it is on (by network engine name)."""


class SwarmApplication(pulumi.ComponentResource):
    """Swarm services on overlay networks, created in `depends_on` order, with the swarm
    secrets they read.

    Each service is a `docker.Service`; `pulumi up` waits until its tasks run (healthy, with a
    healthcheck) unless its `converge_timeout` is None, and a dependent service is created only
    after that. Each secret a service reads is one `docker.Secret` named
    `<application>_<secret>`; a secret cannot change in place on a swarm: rotate it under a new
    name.
    """

    services: dict[str, BuiltSwarmService]
    """Each service's resource and names, by key."""
    secrets: dict[str, docker.Secret]
    """The swarm secrets, by secret name."""
    dns_names: dict[str, dict[str, list[str]]]
    """For each network, the names that resolve to each service on it."""
    task_names: dict[str, str]
    """For each service, the name that resolves to every one of its tasks."""
    endpoint_modes: dict[str, str]
    """For each service, how its name resolves (`vip` or `dnsrr`)."""

    def __init__(
        self, name: str, args: SwarmApplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        subject = f'swarm application "{name}"'
        args = checked(subject, args, SwarmApplicationArgs)
        problems, order = swarm_application_problems(args.services, name)
        problems += _secret_problems(args.services)
        raise_if_any(subject, problems)
        super().__init__(TYPE, name, None, opts)
        self.secrets = {}
        for spec in args.services.values():
            for secret_name, secret in spec.secrets.items():
                if secret_name in self.secrets or secret.value is None:
                    continue  # a missing text was refused above
                value: pulumi.Output[str] = pulumi.Output.secret(secret.value)
                self.secrets[secret_name] = docker.Secret(
                    f"{name}-secret-{secret_name}",
                    name=f"{name}_{secret_name}",
                    data=value.apply(secret_data),
                    labels=[
                        docker.SecretLabelArgs(label=f"{LABEL_PREFIX}.{k}", value=v)
                        for k, v in (("stack", pulumi.get_stack()), ("group", name))
                    ],
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.services = register_services(args.services, order, SwarmSite(name, self, self.secrets))
        self.dns_names = {}
        self.task_names = {}
        self.endpoint_modes = {}
        for key, spec in args.services.items():
            built = self.services[key]
            for network, names in built.dns_names.items():
                self.dns_names.setdefault(network, {})[built.service_name] = names
            self.task_names[built.service_name] = f"tasks.{built.service_name}"
            self.endpoint_modes[built.service_name] = spec.deploy.endpoint_mode
        self.register_outputs(
            {
                "serviceKeys": list(args.services),
                "dnsNames": self.dns_names,
                "taskNames": self.task_names,
                "endpointModes": self.endpoint_modes,
            }
        )


@dataclass(frozen=True)
class SwarmSite:
    """Where a `SwarmApplication` registers its services on a swarm: each service is one
    `docker.Service`, named `<application>-<name>`, reading the application's secrets."""

    application: str
    """The application's name: its resources' prefix and its services' group."""
    parent: pulumi.Resource
    """The application component."""
    secrets: Mapping[str, docker.Secret]
    """The swarm secrets, by secret name."""

    def register(
        self, key: str, spec: SwarmServiceSpec, registered: Mapping[str, BuiltSwarmService]
    ) -> BuiltSwarmService:
        group = self.application
        name = swarm_service_name(key, spec)
        networks = []
        needs: list[pulumi.Resource] = []
        dns_names: dict[str, list[str]] = {}
        for attachment in attachments(spec.networks):
            entry, depends = _network_entry(attachment)
            networks.append(entry)
            needs += depends
            net = network_name(attachment.network)
            if isinstance(net, str):
                dns_names[net] = [name, *attachment.aliases]
        needs += [registered[other].service for other in spec.depends_on]
        needs += [self.secrets[s] for s in spec.secrets]
        needs += wire.volume_needs(spec.mounts)
        own = {
            LABEL_STACK: pulumi.get_stack(),
            LABEL_GROUP: group,
            LABEL_ROLE: "swarm-service",
        }
        labels = {**spec.labels, **own}
        if spec.expose:
            labels[LABEL_EXPOSE] = ",".join(spec.expose)
        deploy = spec.deploy
        container_spec = docker.ServiceTaskSpecContainerSpecArgs(
            image=image_reference(spec.image),
            commands=list(spec.entrypoint) or None,
            args=list(spec.command) or None,
            env=dict(spec.env) or None,
            labels=wire.labels(labels, docker.ServiceTaskSpecContainerSpecLabelArgs),
            hostname=spec.hostname,
            user=spec.user,
            dir=spec.working_dir,
            init=spec.init or None,
            stop_signal=spec.stop_signal,
            stop_grace_period=f"{spec.stop_grace_period}s"
            if spec.stop_grace_period is not None
            else None,
            read_only=spec.read_only or None,
            sysctl=dict(spec.sysctls) or None,
            cap_adds=list(spec.capabilities_add) or None,
            cap_drops=list(spec.capabilities_drop) or None,
            dns_config=docker.ServiceTaskSpecContainerSpecDnsConfigArgs(nameservers=list(spec.dns))
            if spec.dns
            else None,
            hosts=[
                docker.ServiceTaskSpecContainerSpecHostArgs(host=h, ip=ip)
                for h, ip in spec.extra_hosts.items()
            ]
            or None,
            healthcheck=wire.healthcheck(spec.healthcheck, "service"),
            mounts=[wire.mount(m, "service") for m in spec.mounts] or None,
            secrets=[
                docker.ServiceTaskSpecContainerSpecSecretArgs(
                    secret_id=self.secrets[secret_name].id,
                    secret_name=self.secrets[secret_name].name,
                    file_name=secret.file or f"/run/secrets/{secret_name}",
                    file_mode=int(secret.mode, 8) if secret.mode else SECRET_FILE_MODE,
                    file_uid=secret.uid,
                    file_gid=secret.gid,
                )
                for secret_name, secret in spec.secrets.items()
            ]
            or None,
        )
        placement = None
        if deploy.constraints or deploy.max_replicas_per_node is not None:
            placement = docker.ServiceTaskSpecPlacementArgs(
                constraints=list(deploy.constraints) or None,
                max_replicas=deploy.max_replicas_per_node,
            )
        service = docker.Service(
            child_name(group, name),
            name=name,
            labels=wire.labels({**deploy.labels, **own}, docker.ServiceLabelArgs),
            mode=docker.ServiceModeArgs(global_=True)
            if deploy.mode == "global"
            else docker.ServiceModeArgs(
                replicated=docker.ServiceModeReplicatedArgs(
                    replicas=deploy.replicas if deploy.replicas is not None else 1
                )
            ),
            task_spec=docker.ServiceTaskSpecArgs(
                container_spec=container_spec,
                networks_advanceds=networks or None,
                placement=placement,
                resources=_resources(deploy),
                restart_policy=_restart(spec),
                log_driver=docker.ServiceTaskSpecLogDriverArgs(
                    name=spec.logging.driver, options=dict(spec.logging.options) or None
                )
                if spec.logging is not None
                else None,
            ),
            endpoint_spec=docker.ServiceEndpointSpecArgs(
                mode=deploy.endpoint_mode,
                ports=wire.ports(spec.ports, "service"),
            ),
            update_config=_update(deploy.update, docker.ServiceUpdateConfigArgs),
            rollback_config=_update(deploy.rollback, docker.ServiceRollbackConfigArgs),
            converge_config=docker.ServiceConvergeConfigArgs(
                delay="1s", timeout=deploy.converge_timeout
            )
            if deploy.converge_timeout is not None
            else None,
            opts=pulumi.ResourceOptions(parent=self.parent, depends_on=needs),
        )
        return BuiltSwarmService(service_name=name, service=service, dns_names=dns_names)


def _secret_problems(services: Mapping[str, SwarmServiceSpec]) -> list[Problem]:
    """Secrets a component user gave without text, or with two texts under one name."""
    problems: list[Problem] = []
    given: dict[str, tuple[Location, Any]] = {}
    for key, spec in services.items():
        for secret_name, secret in spec.secrets.items():
            at = ("services", key, "secrets", secret_name)
            if secret.value is None:
                problems.append(Problem((*at, "value"), "is missing; give the secret's text"))
                continue
            first = given.setdefault(secret_name, (at, secret.value))
            if first[1] is not secret.value and first[1] != secret.value:
                problems.append(
                    Problem(
                        (*at, "value"),
                        f"differs from the text {render_path(first[0])} gives; one swarm secret "
                        "has one text",
                    )
                )
    return problems
