"""Services, applications, volumes, builds and secrets: the wire inputs each registers, the
dependency edges between them, and the exact refusal of every bad argument."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components import (
    Application,
    ApplicationArgs,
    Attachment,
    BuildSpec,
    ComponentError,
    ConfigSpec,
    DeviceSpec,
    DnsGroup,
    DnsGroupArgs,
    DnsMember,
    HealthcheckSpec,
    ImageSet,
    ImageSetArgs,
    LoggingSpec,
    MountSpec,
    NamedVolume,
    NamedVolumeArgs,
    PortSpec,
    SecretSpec,
    Service,
    ServiceArgs,
    ServiceSpec,
    Sidecar,
    UlimitSpec,
    UserDefinedNetwork,
    UserDefinedNetworkArgs,
)
from plan import Plan, ProgramError, Registration

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
BUILT_IMAGE = "docker:index/image:Image"
PULLED_IMAGE = "docker:index/remoteImage:RemoteImage"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key Pulumi marks a secret value with on the wire."""
HEALTHCHECK = HealthcheckSpec(test=("CMD", "pg_isready"), interval="2s", retries=5)


def containers(plan: Plan) -> dict[str, Registration]:
    return {str(r.inputs["name"]): r for r in plan.of_type(CONTAINER)}


def labels(registration: Registration) -> dict[str, str]:
    return {item["label"]: item["value"] for item in registration.inputs.get("labels", [])}


def refusal(recorder: Any, program: Any) -> str:
    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    return str(caught.value)


def networks() -> tuple[UserDefinedNetwork, UserDefinedNetwork]:
    front = UserDefinedNetwork("front", UserDefinedNetworkArgs(subnet="10.50.0.0/24"))
    back = UserDefinedNetwork(
        "back", UserDefinedNetworkArgs(subnet="10.50.1.0/24", ipv6_subnet="fd00:50:1::/64")
    )
    return front, back


# -- a service on its own ------------------------------------------------------------------


def test_service_gets_one_attachment_per_network_with_its_names_and_addresses(recorder):
    def program():
        front, back = networks()
        Service(
            "api",
            ServiceArgs(
                ServiceSpec(
                    image="busybox:1.36",
                    networks=(
                        Attachment(front, aliases=("www", "api.front")),
                        Attachment(back, ipv4_address="10.50.1.7", ipv6_address="fd00:50:1::7"),
                    ),
                )
            ),
        )

    plan = recorder.run(program)
    component, container = plan.named("api"), plan.named("api-container")
    assert component.type == "container-comms:index:Service"
    assert container.parent == component.urn
    assert container.inputs["networksAdvanced"] == [
        {"name": "front", "aliases": ["www", "api.front"]},
        {"name": "back", "ipv4Address": "10.50.1.7", "ipv6Address": "fd00:50:1::7"},
    ]
    assert "networkMode" not in container.inputs
    for network in ("front-network", "back-network"):
        assert plan.named(network).urn in container.dependencies, network
    assert labels(container)["container-comms.role"] == "service"
    assert component.outputs["dnsNames"] == {
        "front": ["api", "www", "api.front"],
        "back": ["api"],
    }
    assert component.outputs["addresses"] == {"back": "10.50.1.7"}


def test_service_auto_address_comes_from_its_network(recorder):
    def program():
        net = UserDefinedNetwork(
            "pool", UserDefinedNetworkArgs(subnet="10.51.0.0/24", ip_range="10.51.0.128/25")
        )
        Service("aa", ServiceArgs(ServiceSpec(image="x", networks=(Attachment(net, (), "auto"),))))

    plan = recorder.run(program)
    assert plan.named("aa-container").inputs["networksAdvanced"] == [
        {"name": "pool", "ipv4Address": "10.51.0.2"}
    ]


def test_sidecars_join_the_service_namespace_and_wait_for_it(recorder):
    def program():
        front, _back = networks()
        Service(
            "web",
            ServiceArgs(
                ServiceSpec(
                    image="nginx:1.27",
                    networks=(Attachment(front, aliases=("www",)),),
                    loopback_ports=(8000,),
                    sidecars={
                        "web-app": Sidecar(image="python:3.12-alpine"),
                        "web-monitor": Sidecar(image="nicolaka/netshoot:v0.13", monitor=True),
                    },
                )
            ),
        )

    plan = recorder.run(program)
    owner, app, monitor = (plan.named(n) for n in ("web-container", "web-app", "web-monitor"))
    for sidecar in (app, monitor):
        assert sidecar.inputs["networkMode"] == "container:web"
        assert "networksAdvanced" not in sidecar.inputs
        assert owner.urn in sidecar.dependencies
        assert labels(sidecar)["container-comms.role"] == "sidecar"
    assert monitor.inputs["capabilities"] == {"adds": ["NET_ADMIN", "NET_RAW"]}
    assert plan.named("web").outputs["loopbackEndpoints"] == ["127.0.0.1:8000"]


def test_a_resource_outside_the_components_waits_for_a_network_through_its_name(recorder):
    def program():
        front, _back = networks()
        docker.Container(
            "plain",
            name="plain",
            image="busybox",
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=front.name)],
        )

    plan = recorder.run(program)
    plain = plan.named("plain")
    assert plain.inputs["networksAdvanced"] == [{"name": "front"}]
    assert plan.named("front-network").urn in plain.dependencies


def test_container_options_reach_the_wire(recorder):
    spec = ServiceSpec(
        image="app:1",
        user="1000:1000",
        working_dir="/srv",
        init=True,
        devices=(DeviceSpec(host_path="/dev/net/tun"),),
        sysctls={"net.core.somaxconn": "1024"},
        ulimits={"nofile": UlimitSpec(soft=1024, hard=2048)},
        logging=LoggingSpec(driver="json-file", options={"max-size": "10m"}),
        stop_signal="SIGQUIT",
        stop_grace_period=20,
        security_opt=("no-new-privileges:true",),
        read_only=True,
        shm_size=64,
        memory=256,
        cpus="0.5",
        pid_mode="host",
        ipc_mode="private",
        privileged=True,
        expose=("8080", "9090/udp"),
        restart="on-failure",
        mounts=(MountSpec(target="/tmp", type="tmpfs", tmpfs_size=1_048_576),),
    )
    plan = recorder.run(lambda: Service("opts", ServiceArgs(spec)))
    inputs = plan.named("opts-container").inputs
    assert {k: inputs[k] for k in sorted(inputs) if k not in {"labels", "name", "image"}} == {
        "cpus": "0.5",
        "devices": [
            {"hostPath": "/dev/net/tun", "containerPath": "/dev/net/tun", "permissions": "rwm"}
        ],
        "init": True,
        "ipcMode": "private",
        "logDriver": "json-file",
        "logOpts": {"max-size": "10m"},
        "memory": 256.0,
        "mounts": [{"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 1048576.0}}],
        "mustRun": True,
        "pidMode": "host",
        "privileged": True,
        "readOnly": True,
        "restart": "on-failure",
        "securityOpts": ["no-new-privileges:true"],
        "shmSize": 64.0,
        "stopSignal": "SIGQUIT",
        "stopTimeout": 20.0,
        "sysctls": {"net.core.somaxconn": "1024"},
        "ulimits": [{"name": "nofile", "soft": 1024.0, "hard": 2048.0}],
        "user": "1000:1000",
        "workingDir": "/srv",
    }
    assert labels(plan.named("opts-container"))["container-comms.expose"] == "8080,9090/udp"


# -- volumes ---------------------------------------------------------------------------------


def test_named_volume_is_one_resource_that_every_mounting_container_depends_on(recorder):
    def program():
        data = NamedVolume("dbdata", NamedVolumeArgs(labels={"tier": "db"}))
        legacy = NamedVolume("legacy", NamedVolumeArgs(external=True, volume_name="old-data"))
        mounts = (
            MountSpec(target="/var/lib/data", source=data),
            MountSpec(target="/legacy", source=legacy, read_only=True),
            MountSpec(target="/etc/app", type="bind", source="/srv/app", read_only=True),
        )
        Application(
            "app",
            ApplicationArgs(
                services={
                    "writer": ServiceSpec(image="x", mounts=mounts),
                    "reader": ServiceSpec(image="x", mounts=mounts[:1]),
                }
            ),
        )

    plan = recorder.run(program)
    volumes = plan.of_type(VOLUME)
    assert [(v.name, v.inputs) for v in volumes] == [
        ("dbdata-volume", {"name": "dbdata", "labels": [{"label": "tier", "value": "db"}]})
    ]
    assert volumes[0].parent == plan.named("dbdata").urn
    assert plan.named("legacy").outputs == {"volumeName": "old-data", "external": True}
    by_name = containers(plan)
    assert by_name["writer"].inputs["mounts"] == [
        {"target": "/var/lib/data", "type": "volume", "source": "dbdata"},
        {"target": "/legacy", "type": "volume", "source": "old-data", "readOnly": True},
        {"target": "/etc/app", "type": "bind", "source": "/srv/app", "readOnly": True},
    ]
    for name in ("writer", "reader"):
        assert volumes[0].urn in by_name[name].dependencies, name
    assert plan.named("legacy").urn not in by_name["writer"].dependencies


# -- images ----------------------------------------------------------------------------------


def test_built_image_is_tagged_never_pushed_and_waited_for(recorder):
    def program():
        images = ImageSet("images", ImageSetArgs(pull=False))
        build = BuildSpec(context="/src/app", dockerfile="docker/Dockerfile.dev", target="run")
        Application(
            "app",
            ApplicationArgs(
                services={
                    "api": ServiceSpec(image="app:dev", build=build),
                    "worker": ServiceSpec(image="app:dev", build=build),
                    "cache": ServiceSpec(image="redis:7", pull=True),
                    "db": ServiceSpec(image="postgres:16"),
                },
                images=images,
            ),
        )

    plan = recorder.run(program)
    builds = plan.of_type(BUILT_IMAGE)
    assert [(b.name, b.inputs) for b in builds] == [
        (
            "images-build-app-dev",
            {
                "imageName": "app:dev",
                "skipPush": True,
                "buildOnPreview": False,
                "build": {
                    "context": "/src/app",
                    "dockerfile": "/src/app/docker/Dockerfile.dev",
                    "target": "run",
                },
            },
        )
    ]
    # pull=False for the set; the cache service's own pull=True overrides it.
    assert [p.inputs["name"] for p in plan.of_type(PULLED_IMAGE)] == ["redis:7"]
    by_name = containers(plan)
    for name in ("api", "worker"):
        assert by_name[name].inputs["image"] == "app:dev"
        assert builds[0].urn in by_name[name].dependencies, name
    assert plan.named("images-redis-7").urn in by_name["cache"].dependencies
    assert by_name["db"].dependencies == ()


def test_an_image_output_from_the_program_carries_its_own_dependency(recorder):
    def program():
        built = docker.Image(
            "mine", image_name="mine:1", skip_push=True, build=docker.DockerBuildArgs(context=".")
        )
        Service("svc", ServiceArgs(ServiceSpec(image=built.image_name)))

    plan = recorder.run(program)
    container = plan.named("svc-container")
    assert container.inputs["image"] == "mine:1"
    assert plan.named("mine").urn in container.dependencies
    assert plan.of_type(PULLED_IMAGE) == []


# -- depends_on ------------------------------------------------------------------------------


def application(**services: ServiceSpec) -> Any:
    return lambda: Application("app", ApplicationArgs(services=services))


def test_depends_on_orders_services_and_sets_what_the_provider_waits_for(recorder):
    plan = recorder.run(
        application(
            web=ServiceSpec(image="web", depends_on={"api": "service_started"}),
            api=ServiceSpec(
                image="api",
                depends_on={"db": "service_healthy", "migrate": "service_completed_successfully"},
                sidecars={
                    "api-probe": Sidecar(image="probe", depends_on={"cache": "service_started"})
                },
            ),
            migrate=ServiceSpec(image="api", restart="no", depends_on={"db": "service_healthy"}),
            db=ServiceSpec(image="postgres", healthcheck=HEALTHCHECK),
            cache=ServiceSpec(image="redis"),
        )
    )
    by_name = containers(plan)
    order = [r.inputs["name"] for r in plan.of_type(CONTAINER)]
    for before, after in [("db", "migrate"), ("db", "api"), ("migrate", "api"), ("api", "web")]:
        assert order.index(before) < order.index(after), order
        assert by_name[before].urn in by_name[after].dependencies, (before, after)
    assert by_name["cache"].urn in by_name["api-probe"].dependencies
    assert by_name["api"].urn in by_name["api-probe"].dependencies
    # service_healthy: the provider waits for the dependency's health check on create, for as
    # long as the check takes to decide (6 checks of 2 s + 5 s here), never under its 60 s.
    assert by_name["db"].inputs["wait"] is True
    assert by_name["db"].inputs["waitTimeout"] == 60.0
    assert by_name["db"].inputs["healthcheck"] == {
        "tests": ["CMD", "pg_isready"],
        "interval": "2s",
        "timeout": "5s",
        "retries": 5.0,
        "startPeriod": "0s",
    }
    # service_completed_successfully: the provider attaches and waits for the exit.
    assert (by_name["migrate"].inputs["attach"], by_name["migrate"].inputs["mustRun"]) == (
        True,
        False,
    )
    for name in ("web", "api", "cache", "api-probe"):
        inputs = by_name[name].inputs
        assert "wait" not in inputs and "attach" not in inputs, name
        assert inputs["mustRun"] is True, name
    assert plan.named("app").outputs["dnsNames"] == {}


def test_application_exports_names_and_addresses_per_network(recorder):
    def program():
        front, back = networks()
        Application(
            "shop",
            ApplicationArgs(
                services={
                    "web": ServiceSpec(image="web", networks=(Attachment(front, ("www",)),)),
                    "api": ServiceSpec(
                        image="api",
                        container_name="shop-api",
                        networks=(Attachment(front), Attachment(back, ipv4_address="auto")),
                        sidecars={"api-side": Sidecar(image="side")},
                        loopback_ports=(9000,),
                    ),
                    "db": ServiceSpec(image="db", networks=(Attachment(back, (), "10.50.1.254"),)),
                }
            ),
        )

    plan = recorder.run(program)
    shop = plan.named("shop")
    assert shop.inputs == {}
    assert shop.outputs == {
        "serviceKeys": ["web", "api", "db"],
        "dnsNames": {
            "front": {"web": ["web", "www"], "shop-api": ["shop-api"]},
            "back": {"shop-api": ["shop-api"], "db": ["db"]},
        },
        # db's explicit address is reserved before api's auto one is handed out.
        "addresses": {"back": {"shop-api": "10.50.1.253", "db": "10.50.1.254"}},
        "loopbackEndpoints": {"api": ["127.0.0.1:9000"]},
    }
    assert plan.named("shop-api").parent == shop.urn
    assert plan.named("shop-api-side").inputs["networkMode"] == "container:shop-api"


# -- secrets ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """`value` with every secret's text left out."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return "[secret]"
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_secrets_are_files_and_env_values_that_stay_secret_on_the_wire(recorder):
    """A secret's file gets its mode, uid and gid, else compose's 0444 root; its text is
    secret on the wire, in files and env values alike."""

    def program():
        from_config = pulumi.Config().require_secret("dbPassword")
        Application(
            "app",
            ApplicationArgs(
                services={
                    "db": ServiceSpec(
                        image="postgres",
                        user="999:999",
                        secrets={
                            "db-password": SecretSpec(
                                value="hunter2-text\n",
                                file="/run/secrets/db-password",
                                mode="0440",
                                uid="999",
                                gid="998",
                            ),
                            "api-key": SecretSpec(value=from_config, env="API_KEY"),
                        },
                    ),
                    "api": ServiceSpec(
                        image="api",
                        env={"MODE": "prod"},
                        secrets={
                            "db-password": SecretSpec(
                                value="hunter2-text\n", env="DB_PASSWORD", file="/run/pw"
                            )
                        },
                    ),
                }
            ),
        )

    plan = record_with_config(recorder, program, {"container-comms:dbPassword": "from-config"})
    by_name = containers(plan)
    db, api = by_name["db"].inputs, by_name["api"].inputs
    assert db["uploads"] == [
        {
            "file": "/run/secrets/db-password",
            "content": {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2-text\n"},
            "permissions": "0440",
            "owner": "999",
            "group": "998",
        }
    ]
    assert db["envs"] == [
        {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "API_KEY=from-config"}
    ]
    # A secret file's final line break stays in the file and is left out of a variable.
    assert api["envs"][1] == {
        SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270",
        "value": "DB_PASSWORD=hunter2-text",
    }
    # Without mode, uid and gid a secret's file is as compose writes it: 0444, owned by root.
    assert api["uploads"][0]["permissions"] == "0444"
    assert "owner" not in api["uploads"][0] and "group" not in api["uploads"][0]
    for registration in plan.resources:
        shown = json.dumps(_plain(registration.inputs)) + json.dumps(_plain(registration.outputs))
        for text in ("hunter2", "from-config"):
            assert text not in shown, registration.urn
    assert json.dumps(_plain(api["envs"])) == '["MODE=prod", "[secret]"]'


def test_configs_are_copied_in_or_mounted_read_only_as_compose_places_them(recorder):
    """Text is copied in at its target (`/<name>` by default) with mode 0444 owned by root
    unless given; a host file is bind-mounted read-only."""

    def program():
        Service(
            "svc",
            ServiceArgs(
                ServiceSpec(
                    image="nginx",
                    user="101",
                    mounts=(MountSpec(target="/data", source="data"),),
                    configs={
                        "site": ConfigSpec(content="server {}\n"),
                        "app": ConfigSpec(
                            content="a=1", target="/etc/app.conf", mode="640", uid="101", gid="0"
                        ),
                        "nginx": ConfigSpec(
                            source="/srv/nginx.conf", target="/etc/nginx/nginx.conf"
                        ),
                    },
                )
            ),
        )

    plan = record_with_config(recorder, program, {})
    svc = containers(plan)["svc"].inputs
    assert svc["uploads"] == [
        {"file": "/site", "content": "server {}\n", "permissions": "0444"},
        {
            "file": "/etc/app.conf",
            "content": "a=1",
            "permissions": "0640",
            "owner": "101",
            "group": "0",
        },
    ]
    assert svc["mounts"] == [
        {"target": "/data", "type": "volume", "source": "data"},
        {
            "target": "/etc/nginx/nginx.conf",
            "type": "bind",
            "source": "/srv/nginx.conf",
            "readOnly": True,
        },
    ]


def record_with_config(recorder: Any, program: Any, config: dict[str, str]) -> Plan:
    from plan import record
    from tests.conftest import PROJECT, PROJECT_DIR

    del recorder
    return record(program, project=PROJECT, stack="test", config=config, source_root=PROJECT_DIR)


# -- refusals --------------------------------------------------------------------------------


def _service(spec: Any) -> Any:
    return lambda: Service("svc", ServiceArgs(spec))


def _on_network(**attachment: Any) -> Any:
    def program():
        net = UserDefinedNetwork("net", UserDefinedNetworkArgs(subnet="10.52.0.0/24"))
        plain = UserDefinedNetwork("plain", UserDefinedNetworkArgs())
        chosen = plain if attachment.pop("plain", False) else net
        Service(
            "svc", ServiceArgs(ServiceSpec(image="x", networks=(Attachment(chosen, **attachment),)))
        )

    return program


def _docker_volume_as_source() -> None:
    vol = docker.Volume("raw-vol", name="raw")
    Service("svc", ServiceArgs(ServiceSpec(image="x", mounts=[MountSpec("/d", "bind", vol)])))


def _same_network_twice() -> None:
    net = UserDefinedNetwork("net", UserDefinedNetworkArgs(subnet="10.52.0.0/24"))
    spec = ServiceSpec(image="x", networks=(Attachment(net), Attachment(net, aliases=("again",))))
    Service("svc", ServiceArgs(spec))


def _address_taken() -> None:
    net = UserDefinedNetwork("net", UserDefinedNetworkArgs(subnet="10.52.0.0/24"))
    Application(
        "app",
        ApplicationArgs(
            services={
                "first": ServiceSpec(image="x", networks=(Attachment(net, (), "auto"),)),
                "second": ServiceSpec(image="x", networks=(Attachment(net, (), "10.52.0.254"),)),
                "third": ServiceSpec(image="x", networks=(Attachment(net, (), "10.52.0.254"),)),
            }
        ),
    )


def _name_claimed_twice() -> None:
    net = UserDefinedNetwork("net", UserDefinedNetworkArgs(subnet="10.52.0.0/24"))
    Application(
        "app",
        ApplicationArgs(
            services={
                "api.v1": ServiceSpec(image="x", networks=(Attachment(net),)),
                "api.v2": ServiceSpec(image="x", networks=(Attachment(net, ("api.v1",)),)),
            }
        ),
    )


REFUSALS = [
    # wrong types: refused by name and path, never an AttributeError or TypeError
    (
        "image-not-a-string",
        _service(ServiceSpec(image=5)),  # type: ignore[arg-type]
        'service "svc": spec.image: expected a string or an Output or a docker.RemoteImage or '
        "a docker.Image, got 5",
    ),
    (
        "aliases-as-one-string",
        _service(ServiceSpec(image="x", networks=(Attachment("net", aliases="box1"),))),  # type: ignore[arg-type]
        'service "svc": spec.networks[0].aliases: expected a list, got "box1"',
    ),
    (
        "command-as-one-string",
        _service(ServiceSpec(image="x", command="sleep 60")),  # type: ignore[arg-type]
        'service "svc": spec.command: expected a list, got "sleep 60"',
    ),
    (
        "a-number-instead-of-a-network",
        _service(ServiceSpec(image="x", networks=[5])),  # type: ignore[list-item]
        'service "svc": spec.networks[0]: expected a map of keys to values, got 5',
    ),
    (
        "env-value-not-a-string",
        _service(ServiceSpec(image="x", env={"PORT": 8080})),  # type: ignore[dict-item]
        'service "svc": spec.env.PORT: expected a string or an Output, got 8080',
    ),
    (
        "unknown-key-in-a-map",
        lambda: Service("svc", {"spec": {"image": "x", "volumes": ["a:/b"]}}),  # type: ignore[arg-type]
        'service "svc": spec.volumes: is not a known key; expected one of: image, build, pull, '
        "platform, command, entrypoint, env, ports, expose, healthcheck, restart, labels, "
        "capabilities_add, capabilities_drop, privileged, hostname, dns, extra_hosts, mounts, "
        "tmpfs, secrets, configs, user, working_dir, init, devices, device_requests, sysctls, "
        "ulimits, logging, stop_signal, stop_grace_period, security_opt, read_only, shm_size, "
        "memory, memory_reservation, cpus, pid_mode, ipc_mode, tty, stdin_open, container_name, "
        "networks, network_mode, sidecars, loopback_ports, depends_on",
    ),
    # a resource where a name is expected
    (
        "docker-volume-as-a-bind-source",
        _docker_volume_as_source,
        'service "svc": spec.mounts[0].source: a bind mount needs the absolute host path to mount',
    ),
    # the graph
    (
        "unknown-condition",
        application(
            api=ServiceSpec(image="x", depends_on={"db": "healthy"}),  # type: ignore[dict-item]
            db=ServiceSpec(image="x"),
        ),
        "application \"app\": services.api.depends_on.db: expected one of 'service_started', "
        "'service_healthy' or 'service_completed_successfully', got \"healthy\"",
    ),
    (
        "completion-of-a-service-that-restarts",
        application(
            api=ServiceSpec(image="x", depends_on={"migrate": "service_completed_successfully"}),
            migrate=ServiceSpec(image="x"),
        ),
        'application "app": services.api.depends_on.migrate: waits for "migrate" to complete, '
        'but "migrate" has restart "unless-stopped", so the engine starts it again each time '
        'it exits; give it restart "no" (or "on-failure")',
    ),
    (
        "sidecar-depends-on-in-a-lone-service",
        _service(
            ServiceSpec(
                image="x",
                sidecars={"side": Sidecar(image="y", depends_on={"db": "service_started"})},
            )
        ),
        'service "svc": spec.sidecars.side.depends_on: names other services, which only an '
        "Application resolves; use an Application, or ResourceOptions(depends_on=[...])",
    ),
    # networks and addresses
    (
        "same-network-twice",
        _same_network_twice,
        'service "svc": spec.networks[1]: "net" is attached twice (also networks[0])',
    ),
    (
        "static-address-without-subnet",
        _on_network(plain=True, ipv4_address="10.52.0.9"),
        'service "svc": spec.networks[0].ipv4_address: network "plain" has no configured '
        "subnet, and the engine gives static addresses only on networks with one; give the "
        "network a subnet",
    ),
    (
        "ipv6-without-ipv6-subnet",
        _on_network(ipv6_address="fd00::9"),
        'service "svc": spec.networks[0].ipv6_address: network "net" has no IPv6 subnet, so '
        "the engine gives it no IPv6 addresses; give the network an ipv6_subnet",
    ),
    (
        "static-address-outside-the-subnet",
        _on_network(ipv4_address="10.99.0.9"),
        'service "svc": spec.networks[0].ipv4_address: "10.99.0.9" is outside the subnet '
        "10.52.0.0/24",
    ),
    (
        "static-address-taken-within-an-application",
        _address_taken,
        'application "app": services.third.networks[0].ipv4_address: "10.52.0.254" is already '
        'taken by container "second"',
    ),
    # secrets, mounts, builds
    (
        "two-secrets-one-file",
        _service(
            ServiceSpec(
                image="x",
                secrets={
                    "aa": SecretSpec(value="1", file="/run/s"),
                    "bb": SecretSpec(value="2", file="/run/s"),
                },
            )
        ),
        'service "svc": spec.secrets.bb.file: "/run/s" is also where secret "aa" goes; give '
        "each its own",
    ),
    (
        "secret-file-on-read-only-root",
        _service(
            ServiceSpec(
                image="x", read_only=True, secrets={"pw": SecretSpec(value="1", file="/run/pw")}
            )
        ),
        'service "svc": spec.secrets.pw.file: cannot be written into a read-only root '
        'filesystem (the engine refuses the upload: "container rootfs is marked read-only"); '
        "give the secret as env, or drop read_only",
    ),
    (
        "secret-mode-not-octal",
        _service(
            ServiceSpec(
                image="x", secrets={"pw": SecretSpec(value="1", file="/run/pw", mode="0888")}
            )
        ),
        'service "svc": spec.secrets.pw.mode: "0888" is not a file mode; write it in octal, '
        'e.g. "0440"',
    ),
    (
        "secret-owner-by-name",
        _service(
            ServiceSpec(
                image="x", secrets={"pw": SecretSpec(value="1", file="/run/pw", uid="postgres")}
            )
        ),
        'service "svc": spec.secrets.pw.uid: "postgres" is not a number; give the numeric id '
        "(a name would be looked up on the deploying host, not in the image)",
    ),
    (
        "secret-mode-without-a-file",
        _service(ServiceSpec(image="x", secrets={"pw": SecretSpec(value="1", env="PW", gid="70")})),
        'service "svc": spec.secrets.pw.gid: applies to a secret\'s file; give file too',
    ),
    (
        "config-with-content-and-source",
        _service(
            ServiceSpec(
                image="x", configs={"app": ConfigSpec(content="a=1", source="/srv/app.conf")}
            )
        ),
        'service "svc": spec.configs.app: needs exactly one of content (its text) or source '
        "(a host file to mount)",
    ),
    (
        "config-file-with-mode",
        _service(
            ServiceSpec(image="x", configs={"app": ConfigSpec(source="/srv/a.conf", uid="101")})
        ),
        'service "svc": spec.configs.app.uid: does not apply to a host file mounted read-only '
        "(its mode and owner are the host file's); remove it, or give the text as content",
    ),
    (
        "config-copied-onto-read-only-root",
        _service(
            ServiceSpec(image="x", read_only=True, configs={"app": ConfigSpec(content="a=1")})
        ),
        'service "svc": spec.configs.app.content: cannot be copied into a read-only root '
        'filesystem (the engine refuses the upload: "container rootfs is marked read-only"); '
        "mount it from a host file (source), or drop read_only",
    ),
    (
        "config-target-relative",
        _service(ServiceSpec(image="x", configs={"app": ConfigSpec(content="a", target="etc/a")})),
        'service "svc": spec.configs.app.target: "etc/a" is not an absolute path',
    ),
    (
        "config-where-a-secret-goes",
        _service(
            ServiceSpec(
                image="x",
                secrets={"pw": SecretSpec(value="1", file="/pw")},
                configs={"pw": ConfigSpec(content="a")},
            )
        ),
        'service "svc": spec.configs.pw.target: "/pw" is also where secret "pw" goes; give '
        "each its own",
    ),
    (
        "secret-without-text",
        _service(ServiceSpec(image="x", secrets={"pw": SecretSpec(env="PW")})),
        'service "svc": spec.secrets.pw.value: is missing; give the secret\'s text',
    ),
    (
        "one-tag-built-two-ways",
        application(
            api=ServiceSpec(image="app:1", build=BuildSpec(context="/a")),
            worker=ServiceSpec(image="app:1", build=BuildSpec(context="/b")),
            cron=ServiceSpec(image="app:1"),
        ),
        'application "app": services.worker.build: builds "app:1" with other settings than '
        "services.api; one tag is built once, so give both the same build or tag them apart\n"
        'application "app": services.cron.image: "app:1" is built for services.api, and a pull '
        "of that tag would race the build; give this container the same build",
    ),
    (
        "bind-mount-with-a-relative-path",
        _service(ServiceSpec(image="x", mounts=(MountSpec("/d", type="bind", source="data"),))),
        'service "svc": spec.mounts[0].source: a bind mount needs the absolute host path to mount',
    ),
    (
        "one-name-claimed-twice-on-a-network",
        _name_claimed_twice,
        'application "app": services["api.v2"].networks[0].aliases[0]: "api.v1" already resolves '
        'to "api.v1" on "net"',
    ),
    (
        "two-containers-one-resource-name",
        application(app=ServiceSpec(image="x"), container=ServiceSpec(image="x")),
        'application "app": services.container: container "container" would get the resource '
        'name "app-container" of container "app" in application "app"; rename one of them',
    ),
    (
        "invalid-name",
        _service(ServiceSpec(image="x", container_name="-bad")),
        'service "svc": spec.container_name: "-bad" is not a valid container name: the engine '
        "wants two or more characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
    (
        "invalid-component-name",
        lambda: Service("s", ServiceArgs(ServiceSpec(image="x"))),
        'service "s": "s" is not a valid container name: the engine wants two or more '
        "characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
]


@pytest.mark.parametrize(("program", "message"), [pytest.param(p, m, id=i) for i, p, m in REFUSALS])
def test_bad_arguments_are_refused_with_one_exact_message(recorder, program, message):
    assert refusal(recorder, program) == message


def test_a_refused_application_registers_nothing(recorder):
    refused: list[ComponentError] = []

    def program():
        try:
            _address_taken()
        except ComponentError as error:
            refused.append(error)

    plan = recorder.run(program)
    assert [e.subject for e in refused] == ['application "app"']
    # Only the network registered before the application; no container, no component.
    assert sorted(r.type for r in plan.resources) == [
        "container-comms:index:UserDefinedNetwork",
        "docker:index/network:Network",
        "pulumi:pulumi:Stack",
    ]


def test_arguments_may_be_plain_maps(recorder):
    plan = recorder.run(
        lambda: Service("svc", {"spec": {"image": "x", "command": ["sleep", "1"]}})  # type: ignore[arg-type]
    )
    assert plan.named("svc-container").inputs["command"] == ["sleep", "1"]


def test_the_plan_refuses_a_duplicate_urn_as_the_engine_does(recorder):
    def program():
        docker.Network("same", name="one")
        docker.Network("same", name="two")

    assert refusal(recorder, program) == (
        "Duplicate resource URN 'urn:pulumi:test::container-comms::"
        "docker:index/network:Network::same'; try giving it a unique name"
    )


def test_a_slow_health_check_gets_as_long_as_it_takes_to_decide(recorder):
    slow = HealthcheckSpec(test=("CMD", "ready"), interval="10s", timeout="5s", retries=5,
                           start_period="1m30s")  # fmt: skip
    plan = recorder.run(
        application(
            api=ServiceSpec(image="x", depends_on={"db": "service_healthy"}),
            db=ServiceSpec(image="postgres", healthcheck=slow),
        )
    )
    # The start period, then the first check and five failing ones of 10 s + 5 s each.
    assert containers(plan)["db"].inputs["waitTimeout"] == 90.0 + 6 * 15.0


def test_a_plain_docker_network_is_attached_by_its_name_output(recorder):
    def program():
        net = docker.Network("raw-net", name="raw")
        Service("svc", ServiceArgs(ServiceSpec(image="x", networks=(Attachment(net, ("www",)),))))

    plan = recorder.run(program)
    (container,) = plan.of_type("docker:index/container:Container")
    assert container.inputs["networksAdvanced"] == [{"name": "raw", "aliases": ["www"]}]
    network_urn = next(r.urn for r in plan.resources if r.name == "raw-net")
    assert network_urn in container.dependencies


def test_a_host_port_published_twice_in_an_application_is_told_once(recorder):
    def program():
        spec = ServiceSpec(image="busybox:1.36", ports=(PortSpec(80, 8080), PortSpec(81, 8080)))
        Application("app", ApplicationArgs(services={"web": spec}))

    assert refusal(recorder, program) == (
        'application "app": services.web.ports[1]: host port 8080/tcp on 127.0.0.1 is already '
        "published on 127.0.0.1 by services.web.ports[0]; publish another host port"
    )


def test_two_members_of_a_dns_group_publishing_one_host_port_are_refused(recorder):
    def program():
        net = UserDefinedNetwork("n", UserDefinedNetworkArgs(subnet="10.59.0.0/24"))
        web = DnsMember(image="busybox:1.36", ports=(PortSpec(80, 8080),))
        DnsGroup("g", DnsGroupArgs(network=net, members={"a1": web, "b1": web}))

    assert refusal(recorder, program) == (
        'dns group "g": members.b1.ports[0]: host port 8080/tcp on 127.0.0.1 is already '
        "published on 127.0.0.1 by members.a1.ports[0]; publish another host port"
    )
