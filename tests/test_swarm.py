"""The swarm target: overlay networks, swarm services, swarm secrets, and every refusal of what a
swarm cannot do (static addresses, joined namespaces, bridge networks, secrets in env), from the
components, the stack config and compose files, with exact messages."""

from __future__ import annotations

import base64
import copy
import dataclasses
from typing import Any

import pulumi_docker as docker
import pytest

from components import (
    Attachment,
    Deploy,
    JoinedGroup,
    JoinedGroupArgs,
    OverlayNetwork,
    OverlayNetworkArgs,
    Owner,
    PortSpec,
    Resources,
    RestartPolicy,
    SecretSpec,
    ServiceSpec,
    Sidecar,
    SwarmApplication,
    SwarmApplicationArgs,
    SwarmServiceSpec,
    UpdatePolicy,
    UserDefinedNetwork,
    UserDefinedNetworkArgs,
)
from components.topology import TopologyError, load_compose_source, load_topology
from plan import UNKNOWN, ProgramError
from tests.conftest import PROJECT_DIR

NETWORK = "docker:index/network:Network"
SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
CONTAINER = "docker:index/container:Container"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
LABELS = [
    {"label": "container-comms.group", "value": "app"},
    {"label": "container-comms.role", "value": "swarm-service"},
    {"label": "container-comms.stack", "value": "test"},
]

# -- components ------------------------------------------------------------------------------


def test_overlay_network_registers_an_attachable_encrypted_overlay(recorder):
    plan = recorder.run(
        lambda: OverlayNetwork(
            "front",
            OverlayNetworkArgs(subnet="10.40.0.0/24", attachable=True, encrypted=True),
        )
    )
    component = plan.named("front")
    network = plan.named("front-network")
    assert component.type == "container-comms:index:OverlayNetwork"
    assert network.parent == component.urn
    assert network.inputs == {
        "name": "front",
        "driver": "overlay",
        "attachable": True,
        "internal": False,
        "ipv6": False,
        "ipamConfigs": [{"subnet": "10.40.0.0/24", "gateway": "10.40.0.1"}],
        "options": {"encrypted": ""},
    }


def test_bridge_network_keeps_its_wire_inputs(recorder):
    plan = recorder.run(
        lambda: UserDefinedNetwork("b", UserDefinedNetworkArgs(subnet="10.41.0.0/24"))
    )
    assert "attachable" not in plan.named("b-network").inputs
    assert plan.named("b-network").inputs["driver"] == "bridge"


def _app(services: dict[str, SwarmServiceSpec]) -> SwarmApplication:
    return SwarmApplication("app", SwarmApplicationArgs(services=services))


def _front() -> OverlayNetwork:
    return OverlayNetwork("front", OverlayNetworkArgs(subnet="10.40.0.0/24", attachable=True))


def test_swarm_service_wire_inputs(recorder):
    def program() -> None:
        front = _front()
        _app(
            {
                "web": SwarmServiceSpec(
                    image="httpd:2.4",
                    command=("httpd-foreground",),
                    env={"MODE": "prod"},
                    networks=(Attachment(front, aliases=("www",)),),
                    ports=(PortSpec(internal=80, external=8080, host_ip="0.0.0.0", mode="host"),),
                    secrets={"db": SecretSpec(value="s3cret", file="/run/secrets/db")},
                    healthcheck=None,
                    deploy=Deploy(
                        replicas=2,
                        endpoint_mode="dnsrr",
                        constraints=("node.role == manager",),
                        max_replicas_per_node=1,
                        update=UpdatePolicy(parallelism=2, delay="5s", order="start-first"),
                        limits=Resources(cpus="0.5", memory=128),
                        restart_policy=RestartPolicy(condition="on-failure", max_attempts=3),
                        labels={"tier": "web"},
                    ),
                )
            }
        )

    plan = recorder.run(program, preview=True)
    app = plan.named("app")
    service = plan.named("app-web")
    secret = plan.named("app-secret-db")
    assert app.type == "container-comms:index:SwarmApplication"
    assert (service.type, service.parent, secret.type, secret.parent) == (
        SERVICE,
        app.urn,
        SECRET,
        app.urn,
    )
    assert secret.inputs == {
        "name": "app_db",
        "data": {**SECRET_SIG, "value": base64.b64encode(b"s3cret").decode()},
        "labels": [
            {"label": "container-comms.stack", "value": "test"},
            {"label": "container-comms.group", "value": "app"},
        ],
    }
    assert service.inputs == {
        "name": "web",
        "labels": [
            {"label": "container-comms.group", "value": "app"},
            {"label": "container-comms.role", "value": "swarm-service"},
            {"label": "container-comms.stack", "value": "test"},
            {"label": "tier", "value": "web"},
        ],
        "mode": {"replicated": {"replicas": 2.0}},
        "taskSpec": {
            "containerSpec": {
                "image": "httpd:2.4",
                "args": ["httpd-foreground"],
                "env": {"MODE": "prod"},
                "labels": LABELS,
                "secrets": [
                    {
                        "secretId": UNKNOWN,
                        "secretName": "app_db",
                        "fileName": "/run/secrets/db",
                        "fileMode": 292.0,
                    }
                ],
            },
            "networksAdvanceds": [{"id": UNKNOWN, "aliases": ["www"]}],
            "placement": {"constraints": ["node.role == manager"], "maxReplicas": 1.0},
            "resources": {"limits": {"nanoCpus": 500000000.0, "memoryBytes": 134217728.0}},
            "restartPolicy": {"condition": "on-failure", "maxAttempts": 3.0},
        },
        "endpointSpec": {
            "mode": "dnsrr",
            "ports": [
                {
                    "targetPort": 80.0,
                    "publishedPort": 8080.0,
                    "protocol": "tcp",
                    "publishMode": "host",
                }
            ],
        },
        "updateConfig": {
            "parallelism": 2.0,
            "delay": "5s",
            "failureAction": "pause",
            "monitor": "5s",
            "maxFailureRatio": "0.0",
            "order": "start-first",
        },
        "convergeConfig": {"delay": "1s", "timeout": "3m"},
    }
    # The network is referred to by id (unknown at preview); the service depends on it and on
    # its secret through taskSpec, which is how a policy finds its networks at preview.
    assert set(service.property_dependencies["taskSpec"]) == {
        plan.named("front-network").urn,
        secret.urn,
    }


def test_a_secrets_file_in_a_task_takes_the_uses_mode_uid_and_gid(recorder):
    """As `docker stack deploy` writes a secret: 0444 and root unless the use says otherwise."""

    def program() -> None:
        front = _front()
        _app(
            {
                "db": SwarmServiceSpec(
                    image="postgres:16-alpine",
                    networks=(Attachment(front),),
                    secrets={
                        "pw": SecretSpec(
                            value="s3cret", file="/run/secrets/pw", mode="0400", uid="70", gid="70"
                        )
                    },
                )
            }
        )

    service = recorder.run(program, preview=True).named("app-db")
    assert service.inputs["taskSpec"]["containerSpec"]["secrets"] == [
        {
            "secretId": UNKNOWN,
            "secretName": "app_pw",
            "fileName": "/run/secrets/pw",
            "fileMode": 256.0,
            "fileUid": "70",
            "fileGid": "70",
        }
    ]


def test_a_dependent_service_waits_for_its_dependency(recorder):
    def program() -> None:
        front = _front()
        _app(
            {
                "api": SwarmServiceSpec(
                    image="nginx:1.27-alpine",
                    networks=(Attachment(front),),
                    depends_on={"db": "service_started"},
                ),
                "db": SwarmServiceSpec(image="postgres:16-alpine", networks=(Attachment(front),)),
            }
        )

    plan = recorder.run(program)
    api = plan.named("app-api")
    assert plan.named("app-db").urn in api.dependencies
    assert api.inputs["taskSpec"]["restartPolicy"] == {"condition": "any"}  # unless-stopped
    assert plan.exports == {}


def test_a_service_on_a_plain_docker_network_attaches_by_its_id(recorder):
    def program() -> None:
        net = docker.Network("plain", name="plain", driver="overlay", attachable=True)
        _app({"web": SwarmServiceSpec(image="httpd:2.4", networks=(Attachment(net, ("www",)),))})

    plan = recorder.run(program)
    web = plan.named("app-web")
    network = plan.named("plain")
    assert web.inputs["taskSpec"]["networksAdvanceds"] == [
        {"id": UNKNOWN, "aliases": ["www"]}  # the network's id, known once it exists
    ]
    assert network.urn in web.dependencies


def _refusal(recorder: Any, services: dict[str, SwarmServiceSpec]) -> list[str]:
    with pytest.raises(ProgramError) as caught:
        recorder.run(lambda: _app(services))
    return str(caught.value).splitlines()


NO_STATIC = (
    "a swarm service has no static address: the swarm's allocator gives each task its own, and "
    "a new one when the task is rescheduled; reach the service by its name (one virtual IP, "
    'endpoint_mode "vip") or each task by tasks.<service> (endpoint_mode "dnsrr")'
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"networks": (Attachment("ov", ipv4_address="10.40.0.9"),)},
            f"services.web.networks[0].ipv4_address: {NO_STATIC}",
        ),
        (
            {"networks": (Attachment("bridge"),)},
            'services.web.networks[0].network: "bridge" is a network of each node, not of the '
            "swarm: the engine accepts it, and the tasks run on each node's default bridge, "
            "where no name resolves; attach the service to an overlay network",
        ),
        (
            {"secrets": {"db": SecretSpec(value="x", env="DB_PASSWORD")}},
            "services.web.secrets.db.env: a swarm service reads secrets from files; an "
            "environment variable would put the secret's text in the service spec, which anyone "
            "who can inspect the service reads; give file (e.g. /run/secrets/<name>) instead",
        ),
        (
            {"privileged": True},
            "services.web.privileged: a swarm service cannot run privileged; add only the "
            "capabilities it needs",
        ),
        (
            {"memory": 64},
            "services.web.memory: a swarm service's memory limit is deploy.limits.memory; set it "
            "there",
        ),
        (
            {"ports": (PortSpec(internal=80, external=8080),)},
            'services.web.ports[0].host_ip: "127.0.0.1": a swarm service publishes on every '
            'interface of every node (mode "ingress") or of its node (mode "host"), never on one '
            'address; set host_ip "0.0.0.0" to accept that, or do not publish the port and reach '
            "the service over its overlay network",
        ),
        (
            {"service_name": "web.v2"},
            'services.web.service_name: "web.v2" is not a valid service name: the swarm wants '
            "letters and digits, with - or _ between them (no dots)",
        ),
        (
            {"deploy": Deploy(mode="global", replicas=2)},
            "services.web.deploy.replicas: a global service runs one task on every node; remove "
            "replicas",
        ),
        (
            {"deploy": Deploy(constraints=("node.role=manager",))},
            'services.web.deploy.constraints[0]: "node.role=manager" is not a constraint; write '
            "<attribute> == <value> or <attribute> != <value>, e.g. node.role == manager",
        ),
        (
            {"deploy": Deploy(update=UpdatePolicy(delay="5 seconds"))},
            'services.web.deploy.update.delay: "5 seconds" is not a duration; write it like 10s, '
            "1m30s or 500ms",
        ),
        (
            {"depends_on": {"db": "service_completed_successfully"}},
            "services.web.depends_on.db: a swarm restarts a service's tasks when they exit, so no "
            "service completes; wait for service_started or service_healthy, or run the job "
            "outside the swarm",
        ),
        (
            {"container_name": "web2"},
            "services.web.container_name: a swarm service is named by its service_name; give the "
            "name there",
        ),
        (
            {"network_mode": "host"},
            'services.web.network_mode: "host": a swarm service is reached over overlay networks; '
            "attach it to networks instead",
        ),
        (
            {"sidecars": {"web-shell": Sidecar(image="busybox:1.36")}},
            "services.web.sidecars: a swarm service cannot share its network namespace: services "
            'have no container: network mode (the engine refuses it with "network '
            'container:<name> not found"); make the owner and its sidecars a joined group of '
            "plain containers on an attachable overlay network",
        ),
        (
            {"loopback_ports": (8080,)},
            "services.web.loopback_ports: only sidecars reach a container's loopback, and a swarm "
            "service has none; remove it",
        ),
    ],
    ids=[
        "static-address",
        "predefined-bridge",
        "secret-in-env",
        "privileged",
        "memory",
        "port-on-loopback",
        "service-name-with-dot",
        "global-with-replicas",
        "bad-constraint",
        "bad-duration",
        "completed-dependency",
        "container-name",
        "network-mode",
        "sidecars",
        "loopback-ports",
    ],
)
def test_swarm_service_refusals(recorder, change, expected):
    base = SwarmServiceSpec(image="httpd:2.4", networks=(Attachment("ov"),))
    services = {"web": dataclasses.replace(base, **change)}
    if "depends_on" in change:
        services["db"] = base
    assert _refusal(recorder, services) == [f'swarm application "app": {expected}']


def test_service_on_a_bridge_network_is_refused(recorder):
    def program() -> None:
        net = UserDefinedNetwork("local", UserDefinedNetworkArgs(subnet="10.41.0.0/24"))
        _app({"web": SwarmServiceSpec(image="httpd:2.4", networks=(Attachment(net),))})

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'swarm application "app": services.web.networks[0].network: "local" is a bridge network '
        'of one engine, and the engine refuses it for services ("The network local cannot be '
        "used with services. Only networks scoped to the swarm can be used, such as those "
        'created with the overlay driver."); attach the service to an overlay network'
    )


def test_joined_group_on_a_non_attachable_overlay_is_refused(recorder):
    def program() -> None:
        closed = OverlayNetwork("closed", OverlayNetworkArgs(subnet="10.42.0.0/24"))
        JoinedGroup(
            "edge",
            JoinedGroupArgs(
                owner_name="edge-proxy",
                owner=Owner(image="httpd:2.4", networks=(Attachment(closed),)),
                sidecars={"edge-shell": Sidecar(image="busybox:1.36")},
            ),
        )

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'joined group "edge": owner.networks[0].network: overlay network "closed" is not '
        'attachable, and the engine refuses standalone containers on it ("network closed not '
        'manually attachable"); make it attachable'
    )


def test_joined_group_on_an_attachable_overlay_is_plain_containers(recorder):
    def program() -> None:
        front = _front()
        JoinedGroup(
            "edge",
            JoinedGroupArgs(
                owner_name="edge-proxy",
                owner=Owner(image="httpd:2.4", networks=(Attachment(front, aliases=("edge",)),)),
                sidecars={"edge-shell": Sidecar(image="busybox:1.36")},
            ),
        )

    plan = recorder.run(program)
    owner = plan.named("edge-proxy").inputs
    assert owner["networksAdvanced"] == [{"name": "front", "aliases": ["edge"]}]
    assert plan.named("edge-shell").inputs["networkMode"] == "container:edge-proxy"
    assert plan.of_type(SERVICE) == []


# -- stack config ----------------------------------------------------------------------------


def swarm_valid() -> dict[str, Any]:
    return {
        "target": "swarm",
        "networks": {
            "front": {"subnet": "10.40.0.0/24", "attachable": True},
            "back": {"subnet": "10.40.1.0/24"},
        },
        "services": {
            "web": {
                "image": "httpd:2.4",
                "networks": {"front": {"aliases": ["www"]}, "back": None},
                "deploy": {"replicas": 2, "endpoint_mode": "dnsrr"},
            }
        },
        "joined_groups": {
            "edge": {
                "owner": {
                    "name": "edge-proxy",
                    "image": "httpd:2.4",
                    "networks": [{"network": "front"}],
                },
                "sidecars": {"edge-shell": {"image": "busybox:1.36"}},
            }
        },
    }


def swarm_changed(path: str, value: Any) -> dict[str, Any]:
    topology = swarm_valid()
    *parents, last = path.split(".")
    node: Any = topology
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = copy.deepcopy(value)
    return topology


def test_valid_swarm_topology_loads():
    loaded = load_topology(swarm_valid())
    assert loaded.target == "swarm"
    assert loaded.services["web"].deploy == Deploy(replicas=2, endpoint_mode="dnsrr")


SWARM_CASES = [
    (
        "services.web.networks.front.ipv4_address",
        "10.40.0.9",
        f"topology.services.web.networks.front.ipv4_address: {NO_STATIC}",
    ),
    (  # one message: a service's IPv6 address is not also checked against the network's subnets
        "services.web.networks.front.ipv6_address",
        "fd00::5",
        f"topology.services.web.networks.front.ipv6_address: {NO_STATIC}",
    ),
    (
        "services.web.sidecars",
        {"web-shell": {"image": "busybox:1.36"}},
        "topology.services.web.sidecars: a swarm service cannot share its network namespace: "
        'services have no container: network mode (the engine refuses it with "network '
        'container:<name> not found"); make the owner and its sidecars a joined group of plain '
        "containers on an attachable overlay network",
    ),
    (
        "networks.back.driver",
        "bridge",
        'topology.services.web.networks.back: "back" is a bridge network of one engine, and the '
        'engine refuses it for services ("The network back cannot be used with services. Only '
        "networks scoped to the swarm can be used, such as those created with the overlay "
        'driver."); attach the service to an overlay network',
    ),
    (
        "networks.front.attachable",
        False,
        'topology.joined_groups.edge.owner.networks[0].network: overlay network "front" is not '
        'attachable, and the engine refuses standalone containers on it ("network front not '
        'manually attachable"); make it attachable',
    ),
    (
        "networks.back.subnet",
        "10.40.0.128/25",
        "topology.networks.back.subnet: 10.40.0.128/25 overlaps 10.40.0.0/24 of network "
        '"front"; the engine refuses overlapping pools, so choose a disjoint subnet',
    ),
    (
        "target",
        "engine",
        "topology.networks.front.attachable: applies to overlay networks only; remove it\n"
        'topology.services.web.deploy: applies to swarm services; set target "swarm", or remove '
        "it",
    ),
    (
        "services.web.network_mode",
        "host",
        'topology.services.web.network_mode: "host": a swarm service is reached over overlay '
        "networks; attach it to networks instead",
    ),
    (
        "services.web.container_name",
        "web.v2",
        'topology.services.web.container_name: "web.v2" is not a valid service name: the swarm '
        "wants letters and digits, with - or _ between them (no dots)",
    ),
    (
        "services.web.deploy.endpoint_mode",
        "round-robin",
        "topology.services.web.deploy.endpoint_mode: expected one of 'vip' or 'dnsrr', got "
        '"round-robin"',
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), SWARM_CASES, ids=[c[0] for c in SWARM_CASES]
)
def test_swarm_config_refusals(path, value, expected):
    topology = swarm_changed(path, value)
    if path == "target":
        del topology["services"]["web"]["networks"]["back"]
        del topology["networks"]["back"]
    with pytest.raises(TopologyError) as caught:
        load_topology(topology)
    assert str(caught.value) == expected


def test_swarm_stack_exports(recorder):
    plan = recorder.stack("swarm")
    assert plan.exports["swarmServices"] == {
        "web": {"tasks": "tasks.web", "endpointMode": "dnsrr"},
        "api": {"tasks": "tasks.api", "endpointMode": "vip"},
        "db": {"tasks": "tasks.db", "endpointMode": "dnsrr"},
        "probe": {"tasks": "tasks.probe", "endpointMode": "dnsrr"},
    }
    assert plan.exports["serviceNames"] == {
        "front": {"web": ["web", "www"], "api": ["api", "api.internal"], "probe": ["probe"]},
        "back": {"api": ["api"], "db": ["db", "database"], "probe": ["probe"]},
    }
    assert plan.exports["loopbackEndpoints"] == {"edge": ["127.0.0.1:80"]}
    assert {r.inputs["name"]: r.inputs["driver"] for r in plan.of_type(NETWORK)} == {
        "front": "overlay",
        "back": "overlay",
    }
    assert sorted(r.inputs["name"] for r in plan.of_type(SERVICE)) == ["api", "db", "probe", "web"]
    assert sorted(r.inputs["name"] for r in plan.of_type(CONTAINER)) == ["edge-proxy", "edge-shell"]
    assert [r.inputs["name"] for r in plan.of_type(SECRET)] == ["app_db_password"]
    db = plan.named("app-db").inputs["taskSpec"]["containerSpec"]
    assert db["env"] == {"POSTGRES_PASSWORD_FILE": "/run/secrets/db_password"}
    assert db["secrets"][0]["fileName"] == "/run/secrets/db_password"


# -- compose files ---------------------------------------------------------------------------

COMPOSE = """
name: demo
services:
  web:
    image: nginx:1.27-alpine
    ports:
      - {target: 80, published: 8080, mode: host}
    networks:
      front: {aliases: [www]}
    secrets: [db]
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: {tier: web}
      placement: {constraints: [node.role == manager], max_replicas_per_node: 1}
      update_config: {parallelism: 2, delay: 10s, order: start-first}
      resources:
        limits: {cpus: '0.5', memory: 256M}
      restart_policy: {condition: on-failure, window: 120s}
networks:
  front:
    attachable: true
    driver_opts: {encrypted: "true"}
    ipam: {config: [{subnet: 10.43.0.0/24}]}
secrets:
  db:
    file: ./db.txt
"""


def _compose(tmp_path: Any, text: str, target: str) -> Any:
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "db.txt").write_text("pw", encoding="utf-8")
    return load_compose_source("compose.yaml", tmp_path, project_name="demo", target=target)


def test_compose_deploy_keys_map_onto_the_swarm_model(tmp_path):
    topology = _compose(tmp_path, COMPOSE, "swarm")
    web = topology.services["web"]
    assert topology.target == "swarm"
    assert web.container_name == "demo_web"
    assert dict(web.networks)["front"].aliases == ("web", "www")
    assert web.ports == (
        PortSpec(internal=80, external=8080, host_ip="0.0.0.0", protocol="tcp", mode="host"),
    )
    assert web.restart == "unless-stopped"
    assert web.deploy == Deploy(
        replicas=3,
        endpoint_mode="dnsrr",
        labels={"tier": "web"},
        constraints=("node.role == manager",),
        max_replicas_per_node=1,
        update=UpdatePolicy(parallelism=2, delay="10s", order="start-first"),
        limits=Resources(cpus="0.5", memory=256),
        restart_policy=RestartPolicy(condition="on-failure", window="2m0s"),
    )
    front = topology.networks["front"]
    assert (front.driver, front.attachable, front.encrypted, front.driver_opts) == (
        "overlay",
        True,
        True,
        {},
    )


def test_compose_deploy_replicas_on_one_engine_are_refused(tmp_path):
    # `docker compose up` applies deploy's resources and restart policy to a plain container
    # (mapped), and would run three containers: one engine here runs one per service.
    with pytest.raises(TopologyError) as caught:
        _compose(tmp_path, COMPOSE, "engine")
    assert str(caught.value) == (
        "compose.yaml: services.web.deploy.replicas: 3 containers: container-comms deploys one "
        "container per service on one engine; remove it, or set composeTarget to swarm"
    )


def test_compose_unsupported_deploy_keys_are_named(tmp_path):
    text = COMPOSE.replace(
        "placement: {constraints: [node.role == manager], max_replicas_per_node: 1}",
        "placement: {preferences: [{spread: node.labels.zone}]}",
    )
    with pytest.raises(TopologyError) as caught:
        _compose(tmp_path, text, "swarm")
    assert str(caught.value) == (
        "compose.yaml: services.web.deploy.placement.preferences: is not supported by "
        "container-comms; remove it, or deploy this file with docker compose"
    )


def test_compose_container_name_on_a_swarm_is_refused(tmp_path):
    text = COMPOSE.replace(
        "    image: nginx:1.27-alpine\n",
        "    image: nginx:1.27-alpine\n    container_name: w1\n",
        1,
    ).replace("      replicas: 3\n", "")  # Compose itself refuses replicas with a container_name
    with pytest.raises(TopologyError) as caught:
        _compose(tmp_path, text, "swarm")
    assert str(caught.value) == (
        "compose.yaml: services.web.container_name: a swarm names a service's containers "
        "itself (<service>.<slot>.<task id>); remove container_name"
    )


def test_compose_target_must_be_known(tmp_path):
    with pytest.raises(TopologyError) as caught:
        _compose(tmp_path, COMPOSE, "kubernetes")
    assert str(caught.value) == (
        'composeTarget: "kubernetes" is not a target; use engine (one Docker engine) or swarm'
    )


def test_swarm_stack_file_is_in_the_project():
    assert (PROJECT_DIR / "stacks" / "Pulumi.swarm.yaml").is_file()


def test_a_swarm_service_spec_is_a_service_spec_plus_deploy():
    own = {f.name for f in dataclasses.fields(SwarmServiceSpec)} - {
        f.name for f in dataclasses.fields(ServiceSpec)
    }
    assert issubclass(SwarmServiceSpec, ServiceSpec)
    assert own == {"service_name", "deploy"}
    spec = ServiceSpec(image="httpd:2.4", container_name="web", networks=(Attachment("ov"),))
    placed = SwarmServiceSpec.of(spec, Deploy(replicas=2))
    assert placed.service_name == "web"
    assert placed.container_name is None
    assert placed.networks == spec.networks
    assert placed.deploy == Deploy(replicas=2)
