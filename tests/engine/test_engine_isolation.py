"""Proof 5: the private engine lives in its own network namespace, and `stop` removes all of it.

Its bridges, iptables chains, NAT rules and published ports are in that namespace and nowhere
on the host; a second engine from another folder runs beside it with the same network name,
subnet, static address and published port, and each answers with its own page; `scripts/engine.sh
stop` removes all an engine made (processes, mounts, container cgroups, the namespace, the
folder) and nothing else, also after the engine was killed.

The host checks look for what identifies this engine (its bridges' names and MAC addresses, its
subnets, addresses and published ports) instead of diffing the whole host: on a shared machine
other engines may come and go while these tests run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from plan import Registration
from tests.engine.conftest import engine_exports, engine_sh
from tests.engine.images import build_standins, plan_standins
from tests.engine.netns import EngineNetns, netns_inode_of
from tests.engine.probes import container, eventually, network, sh_until
from tests.engine.realize import Realization

pytestmark = pytest.mark.engine

# Values no other proof uses, so that finding one of them on the host means a leak.
_ISO_SUBNET = "10.231.97.0/24"
_ISO_ADDRESS = "10.231.97.10"
_ISO_PORT = 18697
_TWIN_SUBNET = "10.231.98.0/24"
_TWIN_ADDRESS = "10.231.98.10"
_TWIN_PORT = 18698


def _run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr.strip()}"
    return result.stdout


_VIEW = (
    ("ip", "-o", "link"),
    ("ip", "-o", "addr"),
    ("ip", "route"),
    ("iptables", "-S"),
    ("iptables", "-t", "nat", "-S"),
)


def _host_view() -> list[str]:
    """Links (with MACs), addresses, routes, filter and NAT rules of the host's namespace."""
    return [line for argv in _VIEW for line in _run(*argv).splitlines()]


def _netns_view(netns: EngineNetns) -> list[str]:
    """The same, inside the engine's namespace."""
    return [line for argv in _VIEW for line in netns.output(*argv).splitlines()]


def _host_fetch(url: str) -> str | None:
    """The page at `url` fetched in the host's namespace; None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


def _mac_of(netns: EngineNetns, link: str) -> str:
    match = re.search(r"link/ether (\S+)", netns.output("ip", "-o", "link", "show", "dev", link))
    assert match, f"{link} in {netns.name} has no MAC address"
    return match.group(1)


def _page_in(netns: EngineNetns, url: str, page: str) -> None:
    def fetch() -> None:
        fetched = netns.fetch(url)
        assert fetched.page == page, fetched

    eventually(fetch, what=f"GET {url} in {netns.name}")


def test_engine_runs_in_its_own_network_namespace(
    engine: docker.DockerClient, engine_netns: EngineNetns
) -> None:
    exports = engine_exports(engine_sh("env").stdout)
    folder = Path(exports["DOCKER_HOST"].removeprefix("unix://")).parent
    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:10]
    assert engine_netns.path == Path(f"/var/run/netns/ccns-{digest}"), "named from the folder"
    dockerd = int((folder / "docker.pid").read_text())
    assert netns_inode_of(dockerd) == engine_netns.inode()
    assert engine_netns.inode() != netns_inode_of(os.getpid()), "not the host's namespace"
    # dockerd and its containerd are in it; `lo` is up there.
    pids = _run("ip", "netns", "pids", engine_netns.name).split()
    programs = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in pids}
    assert {"dockerd", "containerd"} <= programs, programs
    assert re.search(r"\blo\b.*<[^>]*\bUP\b", engine_netns.output("ip", "-o", "link", "show", "lo"))
    assert engine.info()["Name"], "the engine answers on its socket from the host"


def test_bridges_rules_and_ports_stay_in_the_engine_namespace(
    engine: docker.DockerClient,
    engine_netns: EngineNetns,
    realize: Callable[[], Realization],
) -> None:
    net = network("iso_net", driver="bridge", ipamConfigs=[{"subnet": _ISO_SUBNET}])
    web = container(
        "iso_web",
        image="httpd:latest",
        command=None,
        networksAdvanced=[{"name": "iso_net", "ipv4Address": _ISO_ADDRESS}],
        ports=[{"internal": 80.0, "external": float(_ISO_PORT), "ip": "127.0.0.1"}],
        depends_on=(net,),
    )
    r = realize()
    r.apply([net, web])
    url = f"http://127.0.0.1:{_ISO_PORT}/"
    _page_in(engine_netns, url, "<html><body><h1>It works!</h1></body></html>\n")

    bridge = "br-" + r.networks["iso_net"].id[:12]
    default = engine.networks.get("bridge").attrs["Options"]["com.docker.network.bridge.name"]
    inside = "\n".join(_netns_view(engine_netns))
    # What the engine made, seen where it lives: its bridges, their addresses, the filter
    # rules for the new bridge, the NAT rule of the published port.
    for made in (
        f"{bridge}:",
        f"{default}:",
        "inet 10.231.97.1/24",
        f"-A DOCKER-ISOLATION-STAGE-1 -i {bridge} ! -o {bridge} -j DOCKER-ISOLATION-STAGE-2",
        f"--dport {_ISO_PORT} -j DNAT --to-destination {_ISO_ADDRESS}:80",
    ):
        assert made in inside, f"{made!r} not in the engine's namespace:\n{inside}"

    marks = {
        bridge,
        _mac_of(engine_netns, bridge),
        _mac_of(engine_netns, default),
        "10.231.97.",
        str(engine.networks.get("bridge").attrs["IPAM"]["Config"][0]["Subnet"]),
        f"--dport {_ISO_PORT} ",
    }
    host = _host_view()
    leaked = {mark: [line for line in host if mark in line] for mark in marks}
    assert {mark: lines for mark, lines in leaked.items() if lines} == {}
    assert _host_fetch(url) is None, f"{url} answers in the host's namespace"


@dataclass
class _Engine:
    """An engine other than the session's, in a folder of its own."""

    folder: Path
    client: docker.DockerClient
    netns: EngineNetns


@contextlib.contextmanager
def _another_engine() -> Iterator[_Engine]:
    """A second private engine in a fresh folder under /tmp, stopped (and checked) on exit."""
    parent = Path(tempfile.mkdtemp(prefix="cc-engine-"))
    folder = parent / "engine"
    try:
        started = engine_sh("start", engine_dir=folder)
        assert started.returncode == 0, started.stderr
        exports = engine_exports(started.stdout)
        client = docker.DockerClient(base_url=exports["DOCKER_HOST"], timeout=60)
        try:
            yield _Engine(folder, client, EngineNetns(Path(exports["CC_ENGINE_NETNS"])))
        finally:
            client.close()
    finally:
        engine_sh("stop", engine_dir=folder)
        shutil.rmtree(parent, ignore_errors=True)


def _twin(page: str) -> list[Registration]:
    """One network, a server at a static address publishing a port, a client: same everywhere."""
    net = network("twin_net", driver="bridge", ipamConfigs=[{"subnet": _TWIN_SUBNET}])
    serve = f"mkdir -p /w && echo {page} >/w/index.html && exec httpd -f -p 80 -h /w"
    web = container(
        "twin_web",
        command=["sh", "-c", serve],
        networksAdvanced=[{"name": "twin_net", "ipv4Address": _TWIN_ADDRESS}],
        ports=[{"internal": 80.0, "external": float(_TWIN_PORT), "ip": "127.0.0.1"}],
        depends_on=(net,),
    )
    client = container(
        "twin_client", networksAdvanced=[{"name": "twin_net"}], depends_on=(net, web)
    )
    return [net, web, client]


def _twin_works(r: Realization, netns: EngineNetns, page: str) -> None:
    sh_until(r.container("twin_client"), f"ping -c 1 -W 2 {_TWIN_ADDRESS}")
    sh_until(
        r.container("twin_client"),
        "wget -qO- http://twin_web/",
        lambda code, out: (code, out) == (0, page),
    )
    _page_in(netns, f"http://127.0.0.1:{_TWIN_PORT}/", f"{page}\n")


def _engine_pids(netns: EngineNetns, client: docker.DockerClient) -> set[int]:
    """dockerd, containerd, shims, proxies (in the namespace) and the containers' processes."""
    pids = {int(p) for p in _run("ip", "netns", "pids", netns.name).split()}
    pids |= {int(c.attrs["State"]["Pid"]) for c in client.containers.list()}
    return pids - {0}


def _state(pid: int) -> str:
    """The process's state letter (`Z` for exited but not yet reaped); empty when gone."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return ""


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if _state(pid) not in ("", "Z")}


def _assert_nothing_left(folder: Path, netns: EngineNetns, pids: set[int]) -> None:
    assert not _alive(pids), f"still running: {_alive(pids)}"
    assert netns.name not in _run("ip", "netns", "list"), f"{netns.name} is still listed"
    assert not netns.path.exists()
    assert not folder.exists()
    mounts = Path("/proc/mounts").read_text()
    assert f"{folder}/" not in mounts, mounts
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            assert f"{folder}/".encode() not in (proc / "cmdline").read_bytes(), proc


def test_a_second_engine_from_another_folder_runs_beside_this_one(
    engine: docker.DockerClient,
    engine_netns: EngineNetns,
    realize: Callable[[], Realization],
) -> None:
    here = realize()
    here.apply(_twin("engine-one"))
    with _another_engine() as other:
        assert other.netns.name != engine_netns.name
        build_standins(other.client, plan_standins(["busybox:latest"], {}))
        there = Realization(other.client)
        # The same network name and subnet, the same static address, the same host port.
        there.apply(_twin("engine-two"))
        _twin_works(here, engine_netns, "engine-one")
        _twin_works(there, other.netns, "engine-two")
        pids = _engine_pids(other.netns, other.client)
        stopped = engine_sh("stop", engine_dir=other.folder)
        assert stopped.returncode == 0, stopped.stderr
        _assert_nothing_left(other.folder, other.netns, pids)
    # This engine and its containers were not touched.
    assert engine_netns.path.exists()
    _twin_works(here, engine_netns, "engine-one")


def test_an_engine_killed_mid_run_is_cleaned_by_the_next_start_and_stop() -> None:
    with _another_engine() as killed:
        build_standins(killed.client, plan_standins(["busybox:latest"], {}))
        box = Realization(killed.client)
        box.apply(_twin("killed"))
        _twin_works(box, killed.netns, "killed")
        ids = [c.id for c in killed.client.containers.list()]
        pids = _engine_pids(killed.netns, killed.client)
        dockerd = int((killed.folder / "docker.pid").read_text())
        os.kill(dockerd, signal.SIGKILL)

        def dead() -> None:
            assert not _alive({dockerd}), f"state {_state(dockerd)}"

        eventually(dead, what=f"dockerd {dockerd} after SIGKILL")
        # Its containerd, shims, proxy and containers run on without it.
        assert _alive(pids - {dockerd}), "nothing of the killed engine runs on"
        assert engine_sh("status", engine_dir=killed.folder).returncode != 0

        restarted = engine_sh("start", engine_dir=killed.folder)
        assert restarted.returncode == 0, restarted.stderr
        assert (
            f"engine.sh: cleaning up a previous engine left in {killed.folder} "
            f"(namespace {killed.netns.name})"
        ) in restarted.stderr
        assert not _alive(pids), f"the old engine's processes survived a start: {_alive(pids)}"
        assert killed.client.containers.list(all=True) == [], "a fresh engine"
        pids = _engine_pids(killed.netns, killed.client)

        stopped = engine_sh("stop", engine_dir=killed.folder)
        assert stopped.returncode == 0, stopped.stderr
        _assert_nothing_left(killed.folder, killed.netns, pids)
        cgroups = [p for i in ids for p in Path("/sys/fs/cgroup").glob(f"*/docker/{i}")]
        assert cgroups == [], cgroups


def test_a_namespace_left_without_its_folder_is_removed_by_stop() -> None:
    parent = Path(tempfile.mkdtemp(prefix="cc-engine-"))
    folder = parent / "engine"
    exports = engine_exports(engine_sh("env", engine_dir=folder).stdout)
    netns = EngineNetns(Path(exports["CC_ENGINE_NETNS"]))
    _run("ip", "netns", "add", netns.name)
    try:
        stopped = engine_sh("stop", engine_dir=folder)
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stderr == (
            f"engine.sh: stopped; removed {folder} and the network namespace {netns.name}\n"
        )
        _assert_nothing_left(folder, netns, set())
    finally:
        if netns.path.exists():
            subprocess.run(["ip", "netns", "delete", netns.name], check=False)
        shutil.rmtree(parent, ignore_errors=True)
