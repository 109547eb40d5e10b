"""The realizer itself: ordering, loud refusal of untranslated inputs, faithful creation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plan import UNKNOWN, Registration
from tests.engine.probes import container, network, sh
from tests.engine.realize import (
    EngineRefused,
    Realization,
    UntranslatedInput,
    dependency_order,
)


def _component(name: str) -> Registration:
    return Registration(
        urn=f"urn:pulumi:engine::proof::container-comms:index:Group::{name}",
        type="container-comms:index:Group", name=name, custom=False, parent="", inputs={},
    )  # fmt: skip


def test_dependency_order_puts_dependencies_first_and_skips_components() -> None:
    net = network("net_a", ipamConfigs=[{"subnet": "10.1.0.0/24"}])
    group = _component("group")
    owner = Registration(**{**container("owner").__dict__, "parent": group.urn})
    sidecar = container("sidecar", depends_on=(group,), networkMode="container:owner")
    member = container("member", depends_on=(net,))
    order = dependency_order([sidecar, group, member, owner, net])
    names = [r.name for r in order]
    assert names.index("owner") < names.index("sidecar"), names
    assert names.index("net_a") < names.index("member"), names
    assert "group" not in names


def test_dependency_cycle_is_refused() -> None:
    a = container("aa")
    b = container("bb", depends_on=(a,))
    a = Registration(**{**a.__dict__, "dependencies": (b.urn,)})
    with pytest.raises(ValueError, match="dependency cycle among: aa, bb"):
        dependency_order([a, b])


@pytest.mark.parametrize(
    ("registration", "prop"),
    [
        (container("vol", volumes=[{"containerPath": "/data", "selinuxRelabel": "z"}]),
         "volumes[0].selinuxRelabel"),
        (container("mnt", mounts=[{"target": "/x", "type": "volume",
                                   "volumeOptions": {"subpath": "a"}}]),
         "mounts[0].volumeOptions.subpath"),
        (container("dev", devices=[{"hostPath": "/dev/fuse", "cgroupRule": "x"}]),
         "devices[0].cgroupRule"),
        (container("drv", networksAdvanced=[{"name": "n", "driverOpts": {"a": "b"}}]),
         "networksAdvanced[0].driverOpts"),
        (container("unk", networkMode=UNKNOWN), "networkMode"),
        (container("hlt", wait=True), "wait"),
        (container("mac", macAddress="02:42:0a:00:00:09"), "macAddress"),
        (network("ipam", ipamConfigs=[{"subnet": "10.2.0.0/24", "foo": "x"}]),
         "ipamConfigs[0].foo"),
    ],
)  # fmt: skip
def test_untranslated_input_fails_loudly_before_anything_is_made(
    registration: Registration, prop: str
) -> None:
    realization = Realization(client=None)  # never reaches the engine
    with pytest.raises(UntranslatedInput) as caught:
        realization.apply([registration])
    assert caught.value.resource == registration.name
    assert caught.value.prop == prop
    assert registration.name in str(caught.value) and prop in str(caught.value)


@pytest.mark.engine
def test_realizes_network_and_containers_as_the_provider_does(
    realize: Callable[[], Realization],
) -> None:
    net = network(
        "rz_net",
        driver="bridge",
        ipamConfigs=[
            {"subnet": "10.77.0.0/24", "gateway": "10.77.0.1", "ipRange": "10.77.0.128/25"}
        ],
        labels=[{"label": "proof", "value": "realize"}],
    )  # fmt: skip
    web = container(
        "rz_web",
        image="httpd:latest",
        command=None,
        networksAdvanced=[{"name": "rz_net", "aliases": ["www"], "ipv4Address": "10.77.0.10"}],
        ports=[{"internal": 80.0, "external": 18080.0, "ip": "0.0.0.0", "protocol": "tcp"}],
        envs=["ROLE=web"],
        labels=[{"label": "role", "value": "web"}],
        hostname="webhost",
        hosts=[{"host": "db.example", "ip": "10.77.0.99"}],
        capabilities={"adds": ["NET_ADMIN"], "drops": ["MKNOD"]},
        restart="unless-stopped",
        healthcheck={"tests": ["CMD", "true"], "interval": "5s", "timeout": "1s", "retries": 2.0},
        depends_on=(net,),
    )
    side = container("rz_side", networkMode="container:rz_web", depends_on=(web,))
    r = realize()
    r.apply([side, web, net])

    attrs = r.container("rz_web").attrs
    assert attrs["State"]["Running"]
    networks = attrs["NetworkSettings"]["Networks"]
    assert set(networks) == {"rz_net"}, "disconnected from bridge, connected to rz_net only"
    assert networks["rz_net"]["IPAMConfig"]["IPv4Address"] == "10.77.0.10"
    assert networks["rz_net"]["IPAddress"] == "10.77.0.10"
    assert "www" in networks["rz_net"]["Aliases"]
    assert attrs["Config"]["Hostname"] == "webhost"
    assert "ROLE=web" in attrs["Config"]["Env"]
    assert attrs["Config"]["Labels"]["role"] == "web"
    assert attrs["Config"]["Healthcheck"]["Interval"] == 5_000_000_000
    host_config = attrs["HostConfig"]
    assert host_config["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    assert r.port_rebinds == ["rz_web 80/tcp: 0.0.0.0 -> 127.0.0.1"]
    assert host_config["ExtraHosts"] == ["db.example:10.77.0.99"]
    assert host_config["CapAdd"] == ["NET_ADMIN"] and host_config["CapDrop"] == ["MKNOD"]
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"
    net_attrs = r.networks["rz_net"].attrs
    assert net_attrs["IPAM"]["Config"] == [
        {"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.1", "IPRange": "10.77.0.128/25"}
    ]
    side_attrs = r.container("rz_side").attrs
    assert side_attrs["HostConfig"]["NetworkMode"] == f"container:{attrs['Id']}"
    code, page = sh(r.container("rz_side"), "wget -qO- http://127.0.0.1:80/")
    assert (code, page) == (0, "<html><body><h1>It works!</h1></body></html>")

    client = r.client
    r.teardown()
    assert client.containers.list(all=True, filters={"name": "rz_"}) == []
    assert client.networks.list(names=["rz_net"]) == []


@pytest.mark.engine
def test_must_run_container_that_exits_fails_like_the_provider(
    realize: Callable[[], Realization],
) -> None:
    # busybox's default command is `sh`, which exits at once without a terminal.
    quits = container("rz_quits", command=None)
    with pytest.raises(EngineRefused) as caught:
        realize().apply([quits])
    assert caught.value.step == "must run"
    assert caught.value.message.startswith("container failed to be in running state (exited")
