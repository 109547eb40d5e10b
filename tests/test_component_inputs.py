"""What a Pulumi program hands the components: its own resources (networks, volumes, images)
accepted with their dependencies, ordinary lists, and every argument checked with a message
that names it, never an AttributeError or an Output's `__str__` text."""

from __future__ import annotations

from collections.abc import Callable

import pulumi_docker as docker
import pytest

from components import (
    Application,
    ApplicationArgs,
    Attachment,
    DnsGroup,
    DnsGroupArgs,
    DnsMember,
    ImageSet,
    JoinedGroup,
    MountSpec,
    NamedVolume,
    OverlayNetwork,
    PortSpec,
    Service,
    ServiceSpec,
    StaticIpContainer,
    SwarmApplication,
    UserDefinedNetwork,
)
from plan import ProgramError

CONTAINER = "docker:index/container:Container"
NETWORK_URN = "urn:pulumi:test::container-comms::docker:index/network:Network::net"
VOLUME_URN = "urn:pulumi:test::container-comms::docker:index/volume:Volume::vol"
IMAGE_URN = "urn:pulumi:test::container-comms::docker:index/remoteImage:RemoteImage::img"


def _app(spec: ServiceSpec) -> Application:
    return Application("app", ApplicationArgs(services={"web": spec}))


def test_a_docker_network_given_alone_is_attached_and_depended_on(recorder):
    def program() -> None:
        net = docker.Network("net", name="shared")
        _app(ServiceSpec(image="busybox:1.36", networks=[net, Attachment(net.name, ("api",))]))

    web = recorder.run(program).named("app-web")
    assert web.inputs["networksAdvanced"] == [
        {"name": "shared"},
        {"name": "shared", "aliases": ["api"]},
    ]
    assert NETWORK_URN in web.dependencies
    assert web.property_dependencies["networksAdvanced"] == (NETWORK_URN,)


def test_a_docker_volume_is_mounted_by_name_and_depended_on(recorder):
    def program() -> None:
        vol = docker.Volume("vol", name="pgdata")
        _app(
            ServiceSpec(
                image="busybox:1.36",
                mounts=[
                    MountSpec(target="/data", source=vol),
                    MountSpec(target="/copy", source=vol.name, read_only=True),
                ],
            )
        )

    web = recorder.run(program).named("app-web")
    assert web.inputs["mounts"] == [
        {"target": "/data", "type": "volume", "source": "pgdata"},
        {"target": "/copy", "type": "volume", "source": "pgdata", "readOnly": True},
    ]
    assert VOLUME_URN in web.dependencies
    assert web.property_dependencies["mounts"] == (VOLUME_URN,)


def test_a_remote_image_of_the_program_is_run_by_id_and_not_pulled_again(recorder):
    def program() -> None:
        image = docker.RemoteImage("img", name="busybox:1.36")
        _app(ServiceSpec(image=image))

    plan = recorder.run(program, preview=False)
    web = plan.named("app-web")
    assert web.inputs["image"] == "sha256:img"  # the mock's image id of "img"
    assert web.property_dependencies["image"] == (IMAGE_URN,)
    pulls = [r.name for r in plan.of_type("docker:index/remoteImage:RemoteImage")]
    assert pulls == ["img"]


def test_auto_on_a_network_given_as_an_output_names_no_output_text(recorder):
    def program() -> None:
        net = docker.Network("net", name="shared")
        _app(ServiceSpec(image="busybox:1.36", networks=[Attachment(net.name, (), "auto")]))

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'application "app": services.web.networks[0].ipv4_address: "auto" needs a '
        "UserDefinedNetwork to hand out addresses; a network given as a docker.Network or an "
        "Output has no address pool here, so give the address itself"
    )


@pytest.mark.parametrize("field", ["internal", "external"])
def test_a_port_of_true_is_refused_not_published_as_port_1(recorder, field):
    port = {"internal": 80, field: True}

    with pytest.raises(ProgramError) as caught:
        recorder.run(lambda: _app(ServiceSpec(image="busybox:1.36", ports=[PortSpec(**port)])))
    assert str(caught.value) == (
        f'application "app": services.web.ports[0].{field}: expected a whole number, got true'
    )


def test_ordinary_lists_are_taken_and_a_string_is_not_a_list(recorder):
    web = recorder.run(
        lambda: _app(ServiceSpec(image="busybox:1.36", command=["sleep", "1"], dns=["10.0.0.2"]))
    ).named("app-web")
    assert web.inputs["command"] == ["sleep", "1"]
    with pytest.raises(ProgramError) as caught:
        recorder.run(lambda: _app(ServiceSpec(image="busybox:1.36", command="sleep 1")))  # type: ignore[arg-type]
    assert str(caught.value) == (
        'application "app": services.web.command: expected a list, got "sleep 1"'
    )


COMPONENTS: dict[str, tuple[Callable[..., object], str]] = {
    "UserDefinedNetwork": (UserDefinedNetwork, 'network "x"'),
    "OverlayNetwork": (OverlayNetwork, 'overlay network "x"'),
    "NamedVolume": (NamedVolume, 'volume "x"'),
    "ImageSet": (ImageSet, 'image set "x"'),
    "DnsGroup": (DnsGroup, 'dns group "x"'),
    "JoinedGroup": (JoinedGroup, 'joined group "x"'),
    "StaticIpContainer": (StaticIpContainer, 'static container "x"'),
    "Service": (Service, 'service "x"'),
    "Application": (Application, 'application "x"'),
    "SwarmApplication": (SwarmApplication, 'swarm application "x"'),
}


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_every_component_checks_its_arguments(recorder, component):
    cls, subject = COMPONENTS[component]

    with pytest.raises(ProgramError) as caught:
        recorder.run(lambda: cls("x", "not arguments"))
    assert str(caught.value) == f'{subject}: expected a map of keys to values, got "not arguments"'


def test_a_dns_group_takes_a_docker_network(recorder):
    def program() -> None:
        net = docker.Network("net", name="shared")
        DnsGroup("g", DnsGroupArgs(network=net, members={"a1": DnsMember(image="busybox:1.36")}))

    member = recorder.run(program).named("g-a1")
    assert member.inputs["networksAdvanced"] == [{"name": "shared"}]
    assert NETWORK_URN in member.dependencies


def test_the_typed_user_program_runs_as_written(recorder):
    from tests.typing.user_program import program

    plan = recorder.run(program)
    web = plan.named("app-web")
    assert web.inputs["networksAdvanced"] == [
        {"name": "shared"},
        {"name": "back", "aliases": ["www"], "ipv4Address": "10.40.1.254"},
    ]
    assert plan.named("app-db").property_dependencies["image"] == (
        "urn:pulumi:test::container-comms::docker:index/remoteImage:RemoteImage::busybox",
    )
