"""Each component's registrations and the wire-level inputs a policy sees, from the monitor."""

from __future__ import annotations

import pytest

from components import (
    Attachment,
    ComponentError,
    ContainerSpec,
    DnsGroup,
    DnsGroupArgs,
    DnsMember,
    ImageSet,
    ImageSetArgs,
    JoinedGroup,
    JoinedGroupArgs,
    Owner,
    PortSpec,
    Sidecar,
    StaticIpContainer,
    StaticIpContainerArgs,
    UserDefinedNetwork,
    UserDefinedNetworkArgs,
)
from plan import ProgramError, Registration

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
IMAGE = "docker:index/remoteImage:RemoteImage"


def labels(registration: Registration) -> dict[str, str]:
    return {item["label"]: item["value"] for item in registration.inputs.get("labels", [])}


def test_network_registers_bridge_with_configured_ipam(recorder):
    plan = recorder.run(
        lambda: UserDefinedNetwork(
            "my_net2",
            UserDefinedNetworkArgs(
                subnet="172.22.16.0/24",
                ip_range="172.22.16.128/25",
                aux_addresses={"router": "172.22.16.254"},
                internal=True,
                labels={"tier": "test"},
            ),
        )
    )
    component = plan.named("my_net2")
    network = plan.named("my_net2-network")
    assert component.type == "container-comms:index:UserDefinedNetwork"
    assert network.type == NETWORK
    assert network.parent == component.urn
    assert network.inputs == {
        "name": "my_net2",
        "driver": "bridge",
        "internal": True,
        "ipv6": False,
        "ipamConfigs": [
            {
                "subnet": "172.22.16.0/24",
                "gateway": "172.22.16.1",
                "ipRange": "172.22.16.128/25",
                "auxAddress": {"router": "172.22.16.254"},
            }
        ],
        "labels": [{"label": "tier", "value": "test"}],
    }
    assert component.outputs == {
        "networkName": "my_net2",
        "id": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "subnet": "172.22.16.0/24",
        "gateway": "172.22.16.1",
    }


def test_network_adds_ipv6_ipam_entry(recorder):
    plan = recorder.run(
        lambda: UserDefinedNetwork(
            "dual", UserDefinedNetworkArgs(subnet="10.1.0.0/24", ipv6_subnet="fd00:1::/64")
        )
    )
    network = plan.named("dual-network")
    assert network.inputs["ipv6"] is True
    assert network.inputs["ipamConfigs"][1] == {"subnet": "fd00:1::/64"}


def test_static_ip_container_sits_on_its_network_with_its_address(recorder):
    def program():
        net = UserDefinedNetwork("my_net2", UserDefinedNetworkArgs(subnet="172.22.16.0/24"))
        StaticIpContainer(
            "bbox3",
            StaticIpContainerArgs(
                network=net,
                container=ContainerSpec(image="busybox:1.36", command=("sleep", "60")),
                ipv4_address="172.22.16.8",
            ),
        )

    plan = recorder.run(program)
    component = plan.named("bbox3")
    container = plan.named("bbox3-container")
    assert component.type == "container-comms:index:StaticIpContainer"
    assert container.parent == component.urn
    assert container.inputs["name"] == "bbox3"
    assert container.inputs["networksAdvanced"] == [
        {"name": "my_net2", "ipv4Address": "172.22.16.8"}
    ]
    assert plan.named("my_net2-network").urn in container.dependencies
    assert component.outputs["ipAddress"] == "172.22.16.8"


def test_static_ip_auto_takes_the_top_free_address(recorder):
    def program():
        net = UserDefinedNetwork("n", UserDefinedNetworkArgs(subnet="10.5.0.0/29"))
        for name in ("aa", "bb"):
            StaticIpContainer(
                name,
                StaticIpContainerArgs(network=net, container=ContainerSpec(image="busybox:1.36")),
            )

    plan = recorder.run(program)
    assert plan.named("aa").outputs["ipAddress"] == "10.5.0.6"
    assert plan.named("bb").outputs["ipAddress"] == "10.5.0.5"


def test_dns_group_members_share_the_network_with_names_and_aliases(recorder):
    def program():
        net = UserDefinedNetwork("my_net2", UserDefinedNetworkArgs(subnet="172.22.16.0/24"))
        DnsGroup(
            "bboxes",
            DnsGroupArgs(
                network=net,
                members={
                    "bbox1": DnsMember(image="busybox:1.36", aliases=("box1",)),
                    "bbox2": DnsMember(image="busybox:1.36", ipv4_address="172.22.16.9"),
                },
            ),
        )

    plan = recorder.run(program)
    group = plan.named("bboxes")
    bbox1, bbox2 = plan.named("bboxes-bbox1"), plan.named("bboxes-bbox2")
    assert group.type == "container-comms:index:DnsGroup"
    assert group.inputs == {}
    assert group.outputs["networkName"] == "my_net2"
    assert {bbox1.parent, bbox2.parent} == {group.urn}
    assert bbox1.inputs["networksAdvanced"] == [{"name": "my_net2", "aliases": ["box1"]}]
    assert bbox2.inputs["networksAdvanced"] == [{"name": "my_net2", "ipv4Address": "172.22.16.9"}]
    assert "networkMode" not in bbox1.inputs
    assert labels(bbox1) == {
        "container-comms.group": "bboxes",
        "container-comms.role": "dns-member",
        "container-comms.stack": "test",
    }
    assert group.outputs["dnsNames"] == {"bbox1": ["bbox1", "box1"], "bbox2": ["bbox2"]}
    assert group.outputs["addresses"] == {"bbox2": "172.22.16.9"}


@pytest.mark.parametrize("network", ["bridge", "default", "host", "none"])
def test_dns_group_on_predefined_network_is_refused(recorder, network):
    def program():
        DnsGroup("g", DnsGroupArgs(network=network, members={"aa": DnsMember(image="busybox")}))

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        f'dns group "g": network: "{network}" is a predefined network, where container names '
        "do not resolve (Docker's embedded DNS server answers only on user-defined networks); "
        "attach the group to a UserDefinedNetwork"
    )


def test_dns_group_refuses_before_registering_anything(recorder):
    registered = []

    def program():
        try:
            DnsGroup("g", DnsGroupArgs(network="bridge", members={"aa": DnsMember(image="x")}))
        except ComponentError:
            registered.append("refused")

    plan = recorder.run(program)
    assert registered == ["refused"]
    assert [r.type for r in plan.resources] == ["pulumi:pulumi:Stack"]


def test_dns_group_refuses_a_name_claimed_twice(recorder):
    def program():
        net = UserDefinedNetwork("n", UserDefinedNetworkArgs(subnet="10.6.0.0/24"))
        DnsGroup(
            "g",
            DnsGroupArgs(
                network=net,
                members={
                    "api": DnsMember(image="x"),
                    "web": DnsMember(image="x", aliases=("api",)),
                },
            ),
        )

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'dns group "g": members.web.aliases[0]: "api" already resolves to "api" on "n"'
    )


def test_joined_sidecars_share_the_owner_namespace(recorder):
    def program():
        JoinedGroup(
            "web",
            JoinedGroupArgs(
                owner_name="web1",
                owner=Owner(image="httpd:2.4", loopback_ports=(80,)),
                sidecars={"shell": Sidecar(image="busybox:1.36")},
            ),
        )

    plan = recorder.run(program)
    group, owner, shell = plan.named("web"), plan.named("web-web1"), plan.named("web-shell")
    assert group.type == "container-comms:index:JoinedGroup"
    assert group.inputs == {}
    assert (group.outputs["ownerName"], group.outputs["sidecars"]) == ("web1", ["shell"])
    assert owner.parent == shell.parent == group.urn
    assert shell.inputs["networkMode"] == "container:web1"
    assert "networksAdvanced" not in shell.inputs
    assert owner.urn in shell.dependencies
    assert owner.inputs["mustRun"] is True
    assert owner.inputs["restart"] == "unless-stopped"
    assert labels(shell)["container-comms.role"] == "joined-sidecar"
    assert labels(owner)["container-comms.role"] == "joined-owner"
    assert group.outputs["loopbackEndpoints"] == ["127.0.0.1:80"]


def test_monitor_preset_adds_only_capture_capabilities(recorder):
    def program():
        JoinedGroup(
            "web",
            JoinedGroupArgs(
                owner_name="web1",
                owner=Owner(image="httpd:2.4", ports=(PortSpec(internal=80, external=8080),)),
                sidecars={
                    "probe": Sidecar(image="netshoot", monitor=True),
                    "app": Sidecar(image="app"),
                },
            ),
        )

    plan = recorder.run(program)
    probe, app = plan.named("web-probe"), plan.named("web-app")
    assert probe.inputs["capabilities"] == {"adds": ["NET_ADMIN", "NET_RAW"]}
    assert labels(probe)["container-comms.preset"] == "monitor"
    assert "capabilities" not in app.inputs
    assert plan.named("web-web1").inputs["ports"] == [
        {"internal": 80.0, "external": 8080.0, "ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert plan.named("web").outputs["loopbackEndpoints"] == ["127.0.0.1:80"]


@pytest.mark.parametrize(
    ("sidecar", "option", "why", "fix"),
    [
        (
            Sidecar(image="x", ports=(PortSpec(internal=80),)),
            "ports",
            "cannot publish ports",
            "publish them on the owner",
        ),
        (
            Sidecar(image="x", hostname="h"),
            "hostname",
            "has the owner's hostname",
            "set hostname on the owner",
        ),
        (
            Sidecar(image="x", dns=("1.1.1.1",)),
            "dns",
            "uses the owner's DNS servers",
            "set dns on the owner",
        ),
        (
            Sidecar(image="x", extra_hosts={"h": "10.0.0.1"}),
            "extra_hosts",
            "shares the owner's /etc/hosts",
            "set extra_hosts on the owner",
        ),
    ],
)
def test_sidecar_option_that_belongs_to_the_owner_is_refused(recorder, sidecar, option, why, fix):
    def program():
        JoinedGroup(
            "web",
            JoinedGroupArgs(
                owner_name="web1", owner=Owner(image="httpd"), sidecars={"probe": sidecar}
            ),
        )

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        f'joined group "web": sidecars.probe.{option}: a container sharing another\'s network '
        f'namespace {why}; {fix} "web1"'
    )


def test_owner_on_a_network_is_reachable_by_name_while_sidecars_use_loopback(recorder):
    def program():
        net = UserDefinedNetwork("front", UserDefinedNetworkArgs(subnet="10.7.0.0/24"))
        JoinedGroup(
            "edge",
            JoinedGroupArgs(
                owner_name="web1",
                owner=Owner(
                    image="httpd",
                    networks=(Attachment(net, aliases=("www",), ipv4_address="auto"),),
                    loopback_ports=(80,),
                ),
                sidecars={"app": Sidecar(image="app")},
            ),
        )

    plan = recorder.run(program)
    owner = plan.named("edge-web1")
    assert owner.inputs["networksAdvanced"] == [
        {"name": "front", "aliases": ["www"], "ipv4Address": "10.7.0.254"}
    ]
    assert plan.named("front-network").urn in owner.dependencies
    assert plan.named("edge").outputs["ownerAddresses"] == {"front": "10.7.0.254"}


def test_shared_image_set_pulls_each_image_once(recorder):
    def program():
        images = ImageSet("images", ImageSetArgs())
        net = UserDefinedNetwork("n", UserDefinedNetworkArgs(subnet="10.8.0.0/24"))
        DnsGroup(
            "g",
            DnsGroupArgs(
                network=net,
                members={
                    "aa": DnsMember(image="busybox:1.36"),
                    "bb": DnsMember(image="busybox:1.36"),
                },
                images=images,
            ),
        )
        StaticIpContainer(
            "cc",
            StaticIpContainerArgs(
                network=net, container=ContainerSpec(image="busybox:1.36"), images=images
            ),
        )

    plan = recorder.run(program)
    pulls = plan.of_type(IMAGE)
    assert [(p.name, p.inputs) for p in pulls] == [
        ("images-busybox-1.36", {"name": "busybox:1.36", "keepLocally": True})
    ]
    for container in plan.of_type(CONTAINER):
        assert pulls[0].urn in container.dependencies


def test_image_set_without_pull_uses_present_images(recorder):
    def program():
        images = ImageSet("images", ImageSetArgs(pull=False))
        JoinedGroup(
            "web",
            JoinedGroupArgs(
                owner_name="web1", owner=Owner(image="httpd"), sidecars={}, images=images
            ),
        )

    plan = recorder.run(program)
    assert plan.of_type(IMAGE) == []
    assert plan.named("web-web1").inputs["image"] == "httpd"


def test_component_without_shared_images_pulls_its_own(recorder):
    plan = recorder.run(
        lambda: JoinedGroup(
            "web", JoinedGroupArgs(owner_name="web1", owner=Owner(image="httpd"), sidecars={})
        )
    )
    images = plan.named("web-images")
    assert images.parent == plan.named("web").urn
    assert plan.named("web-images-httpd").parent == images.urn


def test_two_instances_never_collide(recorder):
    def program():
        for index, name in enumerate(("one", "two")):
            net = UserDefinedNetwork(
                f"{name}-net", UserDefinedNetworkArgs(subnet=f"10.{index}.0.0/24")
            )
            DnsGroup(name, DnsGroupArgs(network=net, members={f"{name}-a": DnsMember(image="x")}))

    plan = recorder.run(program)
    names = [r.name for r in plan.resources if r.type == CONTAINER]
    assert sorted(names) == ["one-a", "two-a"]  # no stutter: "one" + "one-a" is "one-a"
    urns = [r.urn for r in plan.resources]
    assert len(urns) == len(set(urns))


def test_static_address_outside_subnet_is_refused(recorder):
    def program():
        net = UserDefinedNetwork("my_net2", UserDefinedNetworkArgs(subnet="172.22.16.0/24"))
        StaticIpContainer(
            "bbox3",
            StaticIpContainerArgs(
                network=net, container=ContainerSpec(image="busybox"), ipv4_address="10.9.9.9"
            ),
        )

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'static container "bbox3": ipv4_address: "10.9.9.9" is outside the subnet 172.22.16.0/24'
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("172.22.16.1", '"172.22.16.1" is the gateway of 172.22.16.0/24'),
        ("172.22.16.0", '"172.22.16.0" is the network address of 172.22.16.0/24'),
        ("172.22.16.255", '"172.22.16.255" is the broadcast address of 172.22.16.0/24'),
        ("172.22.16.8", '"172.22.16.8" is already taken by container "first"'),
    ],
)
def test_static_address_the_network_cannot_give_is_refused(recorder, address, reason):
    def program():
        net = UserDefinedNetwork("my_net2", UserDefinedNetworkArgs(subnet="172.22.16.0/24"))
        spec = ContainerSpec(image="busybox")
        StaticIpContainer("first", StaticIpContainerArgs(net, spec, ipv4_address="172.22.16.8"))
        StaticIpContainer("second", StaticIpContainerArgs(net, spec, ipv4_address=address))

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == f'static container "second": ipv4_address: {reason}'


def test_static_address_on_default_bridge_is_refused(recorder):
    def program():
        StaticIpContainer(
            "pinned",
            StaticIpContainerArgs(
                network="bridge", container=ContainerSpec(image="x"), ipv4_address="172.17.0.9"
            ),
        )

    with pytest.raises(ProgramError) as caught:
        recorder.run(program)
    assert str(caught.value) == (
        'static container "pinned": ipv4_address: network "bridge" is predefined, and static '
        "addresses work only on user-defined networks with a configured subnet; attach to a "
        "UserDefinedNetwork"
    )


def test_invalid_network_settings_are_refused(recorder):
    with pytest.raises(ProgramError) as caught:
        recorder.run(
            lambda: UserDefinedNetwork("my_net2", UserDefinedNetworkArgs(subnet="172.22.16.0/33"))
        )
    assert (
        str(caught.value)
        == 'network "my_net2": subnet: "172.22.16.0/33" is not a valid IPv4 network'
    )


def test_replaced_copies_a_spec_as_dataclasses_replace_does():
    import dataclasses

    from components import ServiceSpec
    from components.checking import replaced

    spec = ServiceSpec(image="busybox:1.36", command=("sleep", "1"))
    copy = replaced(spec, image="httpd:2.4", hostname="web")
    assert copy == dataclasses.replace(spec, image="httpd:2.4", hostname="web")
    assert type(copy) is ServiceSpec
    assert (spec.image, spec.hostname) == ("busybox:1.36", None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        replaced(spec, colour="blue")


def test_recast_makes_what_the_constructor_makes_from_the_shared_fields():
    import dataclasses

    from components import ContainerSpec, DnsMember, ServiceSpec, Sidecar
    from components.checking import recast

    member = DnsMember(image="busybox:1.36", command=("sleep", "1"), aliases=("db",))
    shared = {f.name: getattr(member, f.name) for f in dataclasses.fields(ContainerSpec)}
    service = recast(ServiceSpec, member, ContainerSpec, container_name="db1")
    assert service == ServiceSpec(**shared, container_name="db1")
    assert type(service) is ServiceSpec
    assert not hasattr(service, "aliases")  # a member's own fields stay behind
    other = recast(ServiceSpec, member, ContainerSpec)
    assert other.sidecars == {} and other.depends_on == {}
    assert other.sidecars is not service.sidecars  # a default factory is called per copy
    assert recast(Sidecar, member, ContainerSpec, monitor=True) == Sidecar(**shared, monitor=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        recast(ServiceSpec, member, ContainerSpec, colour="blue")


def test_checked_takes_vouched_arguments_as_they_are_and_checks_every_other():
    from components import DnsGroupArgs, DnsMember
    from components.checking import checked, vouched
    from components.problems import ComponentError

    def args(aliases):
        return DnsGroupArgs(
            network="n1", members={"a": DnsMember(image="busybox", aliases=aliases)}
        )

    built = vouched(args(("x",)))
    assert checked('dns group "g"', built, DnsGroupArgs) is built
    given = args(["x"])  # a list, as a program may pass it: checked, and held as a tuple
    assert checked('dns group "g"', given, DnsGroupArgs).members["a"].aliases == ("x",)
    with pytest.raises(ComponentError) as refused:
        checked('dns group "g"', args("x"), DnsGroupArgs)
    assert str(refused.value) == 'dns group "g": members.a.aliases: expected a list, got "x"'
