"""Values the engine or the provider would refuse are refused in config, before deploy, each
with the config key that holds it (issue: refuse before deploy what the engine refuses)."""

from __future__ import annotations

from typing import Any

import pytest

from components.topology import TopologyError, load_topology


def service(**fields: Any) -> dict[str, Any]:
    return {
        "networks": {"front": {"subnet": "172.30.1.0/24"}},
        "services": {"web": {"image": "busybox:1.36", "networks": {"front": {}}, **fields}},
    }


def refusal(topology: dict[str, Any]) -> str:
    with pytest.raises(TopologyError) as caught:
        load_topology(topology)
    return str(caught.value)


CASES = [
    (
        "image reference",
        service(image="BusyBox:1.36"),
        'topology.services.web.image: "BusyBox:1.36" is not a valid image reference: use '
        "[registry/]name[:tag][@digest] with a lower-case name, e.g. busybox:1.36",
    ),
    (
        "unknown capability",
        service(capabilities_add=["NET_ADMIN", "CAP_FLY"]),
        'topology.services.web.capabilities_add[1]: "CAP_FLY" is not a Linux capability the '
        "engine knows (e.g. NET_ADMIN, SYS_TIME)",
    ),
    (
        "healthcheck duration",
        service(healthcheck={"test": ["CMD", "true"], "interval": "10 seconds"}),
        'topology.services.web.healthcheck.interval: "10 seconds" is not a duration; write it '
        "like 10s, 1m30s or 500ms",
    ),
    (
        "healthcheck retries",
        service(healthcheck={"test": ["CMD", "true"], "retries": -1}),
        "topology.services.web.healthcheck.retries: -1 is below 0",
    ),
    (
        "host_ip",
        service(ports=[{"internal": 80, "external": 8080, "host_ip": "localhost"}]),
        'topology.services.web.ports[0].host_ip: "localhost" is not an IP address; use '
        "127.0.0.1, 0.0.0.0 or a host address",
    ),
    (
        "dns server",
        service(dns=["dns.example"]),
        'topology.services.web.dns[0]: "dns.example" is not an IP address',
    ),
    (
        "host through networks",
        {"services": {"web": {"image": "busybox:1.36", "networks": {"host": {}}}}},
        'topology.services.web.networks.host.network: "host" cannot be attached to like a '
        'network (the engine refuses to connect a container to it); use network_mode "host" '
        "instead",
    ),
    (
        "default through networks",
        {"services": {"web": {"image": "busybox:1.36", "networks": {"default": {}}}}},
        'topology.services.web.networks.default.network: "default" cannot be attached to like '
        "a network (the engine refuses to connect a container to it); use network_mode "
        '"bridge" instead',
    ),
    (
        "name longer than a DNS label",
        service(container_name="w" * 64),
        f'topology.services.web.container_name: "{"w" * 64}" is longer than a DNS label (63 '
        "characters), so peers cannot resolve it; choose a shorter name",
    ),
    (
        "memory below 6 MiB",
        service(memory=5),
        "topology.services.web.memory: 5 MiB is below the engine's least limit, 6 MiB",
    ),
    (
        "cpus below 0.01",
        service(cpus="0.005"),
        'topology.services.web.cpus: "0.005" is below 0.01, which the engine cannot apply',
    ),
    (
        "negative cpus",
        service(cpus="-1"),
        'topology.services.web.cpus: "-1" is below 0.01, which the engine cannot apply',
    ),
    (
        "cpus with a newline",
        service(cpus="0.5\n"),
        'topology.services.web.cpus: "0.5\\n" is not a number such as "0.5"',
    ),
    (
        "unknown ulimit",
        service(ulimits={"files": {"soft": 1, "hard": 1}}),
        "topology.services.web.ulimits.files: is not a resource limit the engine knows; use one "
        "of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
        "rtprio, rttime, sigpending, stack",
    ),
    (
        "relative working_dir",
        service(working_dir="app"),
        'topology.services.web.working_dir: "app" is not an absolute path',
    ),
    (
        "stop_signal with a newline",
        service(stop_signal="SIGTERM\n"),
        'topology.services.web.stop_signal: "SIGTERM\\n" is not a signal the engine knows; give '
        "a name such as SIGTERM, or a number",
    ),
    (
        "empty env name",
        service(env={"": "x"}),
        "topology.services.web.env: has an empty variable name, which the engine refuses",
    ),
    (
        "NUL in env",
        service(env={"A": "b\x00c"}),
        "topology.services.web.env.A: holds a NUL byte; remove it",
    ),
    (
        "NUL in command",
        service(command=["sh", "-c", "sleep 1\x00"]),
        'topology.services.web.command[2]: "sleep 1\\u0000" holds a NUL byte; remove it',
    ),
    (
        "hostname over 64",
        service(hostname="h" * 65),
        "topology.services.web.hostname: has 65 characters; the kernel takes at most 64",
    ),
    (
        "healthcheck interval below 1ms",
        service(healthcheck={"test": ["CMD", "true"], "interval": "1us"}),
        'topology.services.web.healthcheck.interval: "1us" is below 1ms, which the engine '
        "refuses; give 1ms or more",
    ),
    (
        "healthcheck interval with a newline",
        service(healthcheck={"test": ["CMD", "true"], "interval": "10s\n"}),
        'topology.services.web.healthcheck.interval: "10s\\n" is not a duration; write it like '
        "10s, 1m30s or 500ms",
    ),
    (
        "kernel sysctl",
        service(sysctls={"kernel.pid_max": "100000"}),
        'topology.services.web.sysctls["kernel.pid_max"]: cannot be set in a container (runc: '
        'sysctl "kernel.pid_max" is not in a separate kernel namespace); set it on the host',
    ),
    (
        "shm_size with a joined IPC namespace",
        service(shm_size=64, ipc_mode="container:other"),
        'topology.services.web.shm_size: is ignored with ipc_mode "container:other": the '
        "container uses that namespace's /dev/shm; set the size on its owner, or drop it",
    ),
    (
        "two mounts on one target",
        service(
            mounts=[{"type": "tmpfs", "target": "/data"}, {"type": "tmpfs", "target": "/data/"}]
        ),
        'topology.services.web.mounts[1].target: "/data" is already the target of mounts[0]; '
        "the engine refuses a second mount there",
    ),
    (
        "mount on /",
        service(mounts=[{"type": "tmpfs", "target": "/"}]),
        'topology.services.web.mounts[0].target: is "/", which the engine refuses; mount below it',
    ),
    (
        "read-only anonymous volume",
        service(mounts=[{"target": "/data", "read_only": True}]),
        "topology.services.web.mounts[0].read_only: an anonymous volume cannot be read-only (the "
        "engine refuses it); name a volume as its source, or drop read_only",
    ),
]


@pytest.mark.parametrize(("what", "topology", "expected"), CASES, ids=[c[0] for c in CASES])
def test_engine_refusal_is_caught_in_config(what: str, topology: Any, expected: str) -> None:
    del what
    assert refusal(topology) == expected


def test_one_host_port_published_twice_is_refused() -> None:
    topology = service(ports=[{"internal": 80, "external": 8080, "host_ip": "0.0.0.0"}])
    topology["containers"] = {
        "other": {
            "image": "busybox:1.36",
            "network": "front",
            "ports": [{"internal": 81, "external": 8080}],
        }
    }
    assert refusal(topology) == (
        "topology.services.web.ports[0]: host port 8080/tcp on 0.0.0.0 is already published "
        "on 127.0.0.1 by topology.containers.other.ports[0]; publish another host port"
    )


def test_one_port_on_two_distinct_addresses_is_fine() -> None:
    topology = service(ports=[{"internal": 80, "external": 8080, "host_ip": "127.0.0.1"}])
    topology["containers"] = {
        "other": {
            "image": "busybox:1.36",
            "network": "front",
            "ports": [{"internal": 81, "external": 8080, "host_ip": "127.0.0.2"}],
        }
    }
    assert load_topology(topology).services["web"].ports[0].external == 8080
