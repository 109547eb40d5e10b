"""The realizer itself: ordering, loud refusal of untranslated inputs, faithful creation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from plan import UNKNOWN, Registration
from tests.engine.probes import container, network, secret, sh, sh_until, volume
from tests.engine.realize import (
    SERVICE,
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


def _service(name: str, **parts: Any) -> Registration:
    """A `docker.Service` with one more part: task spec parts, container spec mounts, or
    service inputs (`endpointSpec`)."""
    task: dict[str, Any] = {"containerSpec": {"image": "busybox:latest"}}
    inputs: dict[str, Any] = {"name": name, "taskSpec": task}
    for key, value in parts.items():
        if key == "mounts":
            task["containerSpec"]["mounts"] = value
        elif key in ("placement", "resources"):
            task[key] = value
        else:
            inputs[key] = value
    return Registration(
        urn=f"urn:pulumi:engine::proof::{SERVICE}::{name}", type=SERVICE, name=name,
        custom=True, parent="", inputs=inputs,
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
        (container("own", uploads=[{"file": "/a", "content": "x", "owner": "postgres"}]),
         "uploads[0].owner"),
        (container("mac", networksAdvanced=[{"name": "n", "macAddress": "02:42:ac:11:00:02"}]),
         "networksAdvanced[0].macAddress"),
        (container("unk", networkMode=UNKNOWN), "networkMode"),
        (container("gpu", gpus="all"), "gpus"),
        (container("mac", macAddress="02:42:0a:00:00:09"), "macAddress"),
        (network("ipam", ipamConfigs=[{"subnet": "10.2.0.0/24", "foo": "x"}]),
         "ipamConfigs[0].foo"),
        (_service("spread", placement={"prefs": ["spread=node.labels.zone"]}),
         "taskSpec.placement.prefs"),
        (_service("gpu", resources={"reservation": {"genericResources": {
            "discreteResourcesSpecs": ["gpu=1"]}}}),
         "taskSpec.resources.reservation.genericResources"),
        (_service("vol", mounts=[{"target": "/x", "type": "volume",
                                  "volumeOptions": {"subpath": "a"}}]),
         "taskSpec.containerSpec.mounts[0].volumeOptions.subpath"),
        (_service("port", endpointSpec={"ports": [{"targetPort": 80.0, "appProtocol": "http"}]}),
         "endpointSpec.ports[0].appProtocol"),
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
    sh_until(
        r.container("rz_side"),
        "wget -qO- http://127.0.0.1:80/",
        lambda code, page: (code, page) == (0, "<html><body><h1>It works!</h1></body></html>"),
    )

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


@pytest.mark.engine
def test_realizes_volumes_mounts_uploads_secrets_and_options_as_the_provider_does(
    realize: Callable[[], Realization],
) -> None:
    data = volume("rz_data", labels=[{"label": "proof", "value": "realize"}])
    box = container(
        "rz_box",
        mounts=[
            {"target": "/data", "type": "volume", "source": "rz_data"},
            {"target": "/ro", "type": "volume", "source": "rz_data", "readOnly": True},
            {"target": "/scratch", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 1048576.0}},
        ],
        uploads=[
            {"file": "/run/secrets/pw", "content": secret("s3cret\n"), "permissions": "0400",
             "owner": "1000", "group": "1001"},
            {"file": "/etc/app.conf", "content": "a=1"},
            {"file": "/usr/local/bin/hello", "content": "#!/bin/sh\necho hi\n", "executable": True},
        ],
        envs=["PLAIN=1", secret("TOKEN=t0ken")],
        user="0:0",
        workingDir="/data",
        devices=[{"hostPath": "/dev/null", "containerPath": "/dev/nothing", "permissions": "rw"}],
        sysctls={"net.ipv4.ip_unprivileged_port_start": "80"},
        ulimits=[{"name": "nofile", "soft": 1024.0, "hard": 2048.0}],
        logDriver="json-file",
        logOpts={"max-size": "1m"},
        stopSignal="SIGQUIT",
        stopTimeout=7.0,
        securityOpts=["no-new-privileges:true"],
        shmSize=32.0,
        memory=64.0,
        cpus="0.5",
        ipcMode="shareable",
        init=True,
        depends_on=(data,),
    )  # fmt: skip
    r = realize()
    r.apply([box, data])

    assert r.volumes == ["rz_data"]
    assert r.client.volumes.get("rz_data").attrs["Labels"] == {"proof": "realize"}
    attrs = r.container("rz_box").attrs
    host = attrs["HostConfig"]
    assert [(m["Type"], m["Target"], m.get("ReadOnly", False)) for m in host["Mounts"]] == [
        ("volume", "/data", False),
        ("volume", "/ro", True),
        ("tmpfs", "/scratch", False),
    ]
    assert host["Mounts"][2]["TmpfsOptions"] == {"SizeBytes": 1048576}
    assert host["Devices"] == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/nothing", "CgroupPermissions": "rw"}
    ]
    assert host["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "80"}
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert (host["ShmSize"], host["Memory"], host["NanoCpus"]) == (32 << 20, 64 << 20, 5 * 10**8)
    assert (host["IpcMode"], host["Init"]) == ("shareable", True)
    config = attrs["Config"]
    assert (config["StopSignal"], config["StopTimeout"], config["WorkingDir"]) == (
        "SIGQUIT",
        7,
        "/data",
    )
    assert {"PLAIN=1", "TOKEN=t0ken"} <= set(config["Env"])
    box_now = r.container("rz_box")
    listing = sh(
        box_now, "stat -c '%a %u %g %n' /run/secrets/pw /etc/app.conf /usr/local/bin/hello"
    )
    assert listing[1].splitlines() == [
        "400 1000 1001 /run/secrets/pw",
        "644 0 0 /etc/app.conf",
        "744 0 0 /usr/local/bin/hello",
    ]
    assert sh(box_now, "cat /run/secrets/pw") == (0, "s3cret")
    assert sh(box_now, "hello") == (0, "hi")
    assert sh(box_now, "echo shared > /data/f && cat /ro/f") == (0, "shared")
    code, out = sh(box_now, "touch /ro/g")
    assert code != 0 and "Read-only file system" in out, out

    client = r.client
    r.teardown()
    assert client.volumes.list(filters={"name": "rz_data"}) == []


@pytest.mark.engine
def test_wait_holds_the_create_until_the_container_is_healthy(
    realize: Callable[[], Realization],
) -> None:
    # Healthy only once /tmp/ready exists, which the command makes after 2 s.
    slow = container(
        "rz_slow",
        command=["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"],
        healthcheck={"tests": ["CMD", "test", "-e", "/tmp/ready"], "interval": "1s",
                     "timeout": "1s", "retries": 30.0},
        wait=True,
    )  # fmt: skip
    after = container("rz_after", depends_on=(slow,))
    r = realize()
    r.apply([after, slow])
    slow_attrs, after_attrs = r.container("rz_slow").attrs, r.container("rz_after").attrs
    assert slow_attrs["State"]["Health"]["Status"] == "healthy"
    started = _instant(slow_attrs["State"]["StartedAt"])
    assert _instant(after_attrs["State"]["StartedAt"]) - started >= 2.0


@pytest.mark.engine
def test_wait_fails_the_create_when_the_container_never_gets_healthy(
    realize: Callable[[], Realization],
) -> None:
    never = container(
        "rz_never",
        healthcheck={"tests": ["CMD", "false"], "interval": "1s", "timeout": "1s",
                     "retries": 1.0},
        wait=True,
        waitTimeout=4.0,
    )  # fmt: skip
    with pytest.raises(EngineRefused) as caught:
        realize().apply([never])
    assert (caught.value.step, caught.value.message) == (
        "wait healthy",
        "container failed to be in healthy state (after 4 s: unhealthy)",
    )


@pytest.mark.engine
def test_attach_waits_for_a_job_and_must_run_false_keeps_it(
    realize: Callable[[], Realization],
) -> None:
    job = container(
        "rz_job", command=["sh", "-c", "sleep 1; echo done"], attach=True, mustRun=False,
        restart="no",
    )  # fmt: skip
    after = container("rz_after_job", depends_on=(job,))
    r = realize()
    r.apply([after, job])
    state = r.container("rz_job").attrs["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    finished = _instant(state["FinishedAt"])
    assert _instant(r.container("rz_after_job").attrs["State"]["StartedAt"]) >= finished


def _instant(text: str) -> float:
    """An engine timestamp (RFC 3339 with nanoseconds) as seconds since the epoch."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.fromisoformat(whole).replace(tzinfo=UTC)
    return moment.timestamp() + float(f"0.{fraction or 0}")
