"""The application graph, proved once for both targets: the same services, applied as an
`Application` (containers on one engine) and as a `SwarmApplication` (swarm services), meet the
same checks of `depends_on` (unknown, self, cycle, a healthy wait without a healthcheck), the
same creation order, and the same refusals of a name or resource name taken twice, a network
attached twice and a published port claimed twice, each told in the target's words."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components import (
    Application,
    ApplicationArgs,
    Attachment,
    HealthcheckSpec,
    PortSpec,
    ServiceSpec,
    SwarmApplication,
    SwarmApplicationArgs,
    SwarmServiceSpec,
)
from components.application import ENGINE as ENGINE_TARGET
from components.services.graph import graph_problems, register_services
from components.swarm import SWARM as SWARM_TARGET
from components.topology import TopologyError, load_topology
from plan import ProgramError

HEALTHCHECK = HealthcheckSpec(test=("CMD", "true"))


@dataclasses.dataclass(frozen=True)
class Target:
    """One placement target as a test drives it."""

    name: str
    subject: str
    """How a refusal names the application."""
    resource: str
    """The type token of one service's resource."""
    spec: Callable[..., ServiceSpec]
    """A service spec of the target from options."""
    named: Callable[[str], dict[str, Any]]
    """The options that give a service its engine name."""
    apply: Callable[[dict[str, ServiceSpec]], object]
    """The application of the services, named `app`."""


ENGINE = Target(
    "engine",
    'application "app"',
    "docker:index/container:Container",
    ServiceSpec,
    lambda name: {"container_name": name},
    lambda services: Application("app", ApplicationArgs(services=services)),
)
SWARM = Target(
    "swarm",
    'swarm application "app"',
    "docker:index/service:Service",
    SwarmServiceSpec,
    lambda name: {"service_name": name},
    lambda services: SwarmApplication("app", SwarmApplicationArgs(services=services)),  # type: ignore[arg-type]
)
TARGETS = pytest.mark.parametrize("target", [ENGINE, SWARM], ids=["engine", "swarm"])


def refusal(recorder: Any, target: Target, services: dict[str, ServiceSpec]) -> list[str]:
    with pytest.raises(ProgramError) as caught:
        recorder.run(lambda: target.apply(services))
    return str(caught.value).splitlines()


def spec(target: Target, **options: Any) -> ServiceSpec:
    return target.spec(image="busybox:1.36", **options)


@TARGETS
def test_a_dependency_on_an_unknown_service_is_refused(recorder, target):
    services = {
        "web": spec(target, depends_on={"api": "service_started"}),
        "db": spec(target),
    }
    assert refusal(recorder, target, services) == [
        f'{target.subject}: services.web.depends_on.api: "api" is not a service here; services: db'
    ]


@TARGETS
def test_a_service_waiting_for_itself_is_refused(recorder, target):
    services = {"web": spec(target, depends_on={"web": "service_started"})}
    assert refusal(recorder, target, services) == [
        f"{target.subject}: services.web.depends_on.web: a service cannot wait for itself"
    ]


@TARGETS
def test_a_dependency_cycle_is_refused(recorder, target):
    services = {
        "aa": spec(target, depends_on={"bb": "service_started"}),
        "bb": spec(target, depends_on={"cc": "service_started"}),
        "cc": spec(target, depends_on={"aa": "service_started"}),
    }
    assert refusal(recorder, target, services) == [
        f"{target.subject}: services: depends_on has a cycle: aa -> cc -> bb -> aa; break it"
    ]


@TARGETS
def test_a_healthy_wait_needs_a_healthcheck(recorder, target):
    services = {
        "api": spec(target, depends_on={"db": "service_healthy"}),
        "db": spec(target),
    }
    assert refusal(recorder, target, services) == [
        f'{target.subject}: services.api.depends_on.db: waits for "db" to be healthy, but "db" '
        "has no healthcheck; give it one or wait for service_started"
    ]


@TARGETS
def test_services_are_created_in_dependency_order(recorder, target):
    def program() -> None:
        target.apply(
            {
                "web": spec(target, depends_on={"api": "service_healthy"}),
                "api": spec(target, healthcheck=HEALTHCHECK, depends_on={"db": "service_started"}),
                "db": spec(target),
            }
        )

    plan = recorder.run(program)
    created = [r.name for r in plan.of_type(target.resource)]
    assert created == ["app-db", "app-api", "app-web"]
    assert plan.named("app-db").urn in plan.named("app-api").dependencies
    assert plan.named("app-api").urn in plan.named("app-web").dependencies
    assert plan.named("app-db").urn not in plan.named("app-web").dependencies


@pytest.mark.parametrize("placement", [ENGINE_TARGET, SWARM_TARGET], ids=["engine", "swarm"])
def test_the_one_creation_path_registers_a_service_after_every_service_it_waits_for(placement):
    services = {
        "web": ServiceSpec(image="busybox:1.36", depends_on={"api": "service_started"}),
        "api": ServiceSpec(image="busybox:1.36", depends_on={"db": "service_started"}),
        "db": ServiceSpec(image="busybox:1.36"),
        "cache": ServiceSpec(image="busybox:1.36"),
    }
    problems, order = graph_problems(services, "app", placement)
    assert problems == []
    calls: list[tuple[str, list[str]]] = []

    class RecordingSite:
        def register(self, key: str, spec: ServiceSpec, registered: dict[str, str]) -> str:
            assert spec is services[key]
            calls.append((key, sorted(registered)))
            return f"built {key}"

    built = register_services(services, order, RecordingSite())
    assert built == {key: f"built {key}" for key in services}
    seen = {key: before for key, before in calls}
    assert [key for key, _ in calls] == order and sorted(order) == sorted(services)
    assert "db" in seen["api"] and {"api", "db"} <= set(seen["web"])


NAME_TAKEN = {
    "engine": 'services.b: container name "shared" is also used by service "a"',
    "swarm": 'services.b.service_name: service name "shared" is also used by service "a"',
}


@TARGETS
def test_a_name_taken_twice_is_refused(recorder, target):
    services = {
        "a": spec(target, **target.named("shared")),
        "b": spec(target, **target.named("shared")),
    }
    assert refusal(recorder, target, services) == [f"{target.subject}: {NAME_TAKEN[target.name]}"]


RESOURCE_TAKEN = {
    "engine": 'services.b: container "app-web" would get the resource name "app-web" of '
    'container "web" in application "app"; rename one of them',
    "swarm": 'services.b.service_name: service "app-web" would get the resource name "app-web" '
    'of service "web" in application "app"; rename one of them',
}


@TARGETS
def test_a_resource_name_taken_twice_is_refused(recorder, target):
    services = {
        "a": spec(target, **target.named("web")),
        "b": spec(target, **target.named("app-web")),
    }
    assert refusal(recorder, target, services) == [
        f"{target.subject}: {RESOURCE_TAKEN[target.name]}"
    ]


@TARGETS
def test_a_network_attached_twice_is_refused(recorder, target):
    services = {"web": spec(target, networks=(Attachment("front"), Attachment("front")))}
    assert refusal(recorder, target, services) == [
        f'{target.subject}: services.web.networks[1]: "front" is attached twice (also networks[0])'
    ]


PORT_TAKEN = {
    "engine": "services.api.ports[0]: host port 8080/tcp on 0.0.0.0 is already published on "
    "0.0.0.0 by services.web.ports[0]; publish another host port",
    "swarm": "services.api.ports[0]: port 8080/tcp is already published through the routing "
    "mesh by services.web.ports[0], and every node holds it for that service; publish another "
    "port",
}


@TARGETS
def test_a_published_port_claimed_twice_is_refused(recorder, target):
    port = PortSpec(internal=80, external=8080, host_ip="0.0.0.0")
    services = {"web": spec(target, ports=(port,)), "api": spec(target, ports=(port,))}
    assert refusal(recorder, target, services) == [f"{target.subject}: {PORT_TAKEN[target.name]}"]


# -- the same graph, from a stack's topology config ---------------------------------------------


def topology(target: str) -> dict[str, Any]:
    """web -> api -> db (api waits for db to be healthy), on one network of the target."""
    return {
        "target": target,
        "networks": {"front": {"subnet": "10.61.0.0/24"}},
        "services": {
            "web": {
                "image": "nginx:1.27-alpine",
                "networks": {"front": None},
                "depends_on": {"api": "service_started"},
            },
            "api": {
                "image": "busybox:1.36",
                "networks": {"front": None},
                "depends_on": {"db": "service_healthy"},
            },
            "db": {
                "image": "postgres:16-alpine",
                "networks": {"front": None},
                "healthcheck": {"test": ["CMD", "pg_isready"]},
            },
        },
    }


CONFIG_CASES = [
    (
        ("api", "depends_on", "cache"),
        "service_started",
        'topology.services.api.depends_on.cache: "cache" is not a service here; services: web, db',
    ),
    (
        ("db", "depends_on"),
        {"web": "service_started"},
        "topology.services: depends_on has a cycle: web -> db -> api -> web; break it",
    ),
    (
        ("web", "depends_on", "web"),
        "service_started",
        "topology.services.web.depends_on.web: a service cannot wait for itself",
    ),
    (
        ("db", "healthcheck"),
        None,
        'topology.services.api.depends_on.db: waits for "db" to be healthy, but "db" has no '
        "healthcheck; give it one or wait for service_started",
    ),
]


@TARGETS
@pytest.mark.parametrize(
    ("path", "value", "expected"), CONFIG_CASES, ids=["unknown", "cycle", "self", "healthy"]
)
def test_the_config_graph_is_refused_alike_on_both_targets(target, path, value, expected):
    config = topology(target.name)
    *parents, last = path
    node = config["services"]
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        del node[last]
    else:
        node[last] = value
    with pytest.raises(TopologyError) as caught:
        load_topology(config)
    assert str(caught.value) == expected


@TARGETS
def test_the_config_graph_loads_on_both_targets(target):
    loaded = load_topology(topology(target.name))
    assert loaded.target == target.name
    assert dict(loaded.services["api"].depends_on) == {"db": "service_healthy"}


@TARGETS
def test_a_key_with_a_dot_is_located_as_one_key(recorder, target):
    services = {"a.b": spec(target, depends_on={"x.y": "service_started"}, **target.named("web"))}
    assert refusal(recorder, target, services) == [
        f'{target.subject}: services["a.b"].depends_on["x.y"]: "x.y" is not a service here; '
        "services: none"
    ]
