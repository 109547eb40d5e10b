"""Proofs on the real engine for the security and host access rules.

The engine accepts every setting these rules report, so a proof shows what the setting gives the
container: for each, the pack (asked as the offline gate asks it) flags a minimal configuration
at the rule's level, the configuration is realized as the provider would, and the container then
does what the rule's message says it can (drive the engine through its socket, write the host's
files, read the host's disk, kill a host process, share the host's shared memory, use a
capability), next to a control container without the setting that cannot. What the pack lets
pass is shown harmless the same way: capabilities from Docker's default set change nothing, the
project's own files mount and nothing else shows. The unknown capability names are refused, with
the engine's exact message. Every effect is polled for with a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from plan import Registration
from tests.engine.netns import EngineNetns
from tests.engine.probes import container, sh, urn
from tests.engine.realize import EngineRefused, Realization
from tests.engine.unix_client import install, supported
from tests.pack_client import PackClient, Verdict

pytestmark = pytest.mark.engine

security = pytest.importorskip("policies.rules.security", reason="the policy pack is not there")

VOLUME = "docker:index/volume:Volume"
LIST_CONTAINERS = r"printf 'GET /containers/json HTTP/1.0\r\n\r\n'"


def _kept(name: str, **inputs: Any) -> Registration:
    return container(name, mustRun=True, restart="unless-stopped", **inputs)


def _volume(name: str, **inputs: Any) -> Registration:
    return Registration(
        urn=urn(VOLUME, name), type=VOLUME, name=name, custom=True, parent="",
        inputs={"name": name, **inputs},
    )  # fmt: skip


def _findings(
    pack: PackClient, resources: list[Registration], config: dict[str, Any] | None = None
) -> Verdict:
    return pack.check(resources, config)


def _flags(
    pack: PackClient,
    resources: list[Registration],
    *,
    rule: str,
    level: str,
    on: str,
    config: dict[str, Any] | None = None,
) -> None:
    """The pack reports `rule` at `level` for container `on` (a stack rule names its urn)."""
    verdict = _findings(pack, resources, {rule: config} if config else None)
    found = [f for f in verdict.findings if f.policy == rule]
    assert found, f"the pack does not flag {rule}: {verdict.findings}"
    assert {f.level for f in found} == {level}, found
    assert any(f'container "{on}"' in f.message for f in found), found


def _until(probe: Callable[[], tuple[bool, str]], seconds: float = 10) -> str:
    """Poll `probe` until it says done; fail with what it last saw at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        done, seen = probe()
        if done:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {seen}")
        time.sleep(0.2)


def _runs(r: Realization, name: str, script: str, expect: str) -> str:
    """Run `script` in container `name` until its output contains `expect`."""

    last = ""

    def probe() -> tuple[bool, str]:
        nonlocal last
        code, last = sh(r.container(name), script)
        return code == 0 and expect in last, f"exit {code}: {last}"

    _until(probe)
    return last


# -- the Docker socket ---------------------------------------------------------------------

SOCKET = "docker-container-disallow-docker-socket-mount"


def _socket_forms(socket: str, project: Path) -> dict[str, tuple[list[Registration], str]]:
    """Each mount form, read-only: the registrations and where the taker sees the socket."""
    folder = os.path.dirname(socket)
    link = project / "sock"
    if not link.is_symlink():
        link.symlink_to(socket)
    at_run = [{"hostPath": socket, "containerPath": "/var/run/docker.sock", "readOnly": True}]
    holder = _kept("sk_holder", volumes=at_run)
    bind_made = _volume(
        "sk_engine", driver="local", driverOpts={"type": "none", "o": "bind", "device": folder}
    )
    return {
        "read-only-volume": ([_kept("sk_taker", volumes=at_run)], "/var/run/docker.sock"),
        "folder-bind-mount": (
            [
                _kept(
                    "sk_taker",
                    mounts=[
                        {"type": "bind", "source": folder, "target": "/engine", "readOnly": True}
                    ],
                )
            ],
            "/engine/docker.sock",
        ),
        "bind-made-volume": (
            [
                bind_made,
                _kept(
                    "sk_taker",
                    volumes=[
                        {"volumeName": "sk_engine", "containerPath": "/engine", "readOnly": True}
                    ],
                    depends_on=(bind_made,),
                ),
            ],
            "/engine/docker.sock",
        ),
        "volumes-from": (
            [
                holder,
                _kept("sk_taker", volumes=[{"fromContainer": "sk_holder"}], depends_on=(holder,)),
            ],
            "/var/run/docker.sock",
        ),
        # A project's `./sock -> <socket>`: the engine binds what the link names.
        "project-link": (
            [
                _kept(
                    "sk_taker",
                    mounts=[
                        {"type": "bind", "source": str(link), "target": "/sock", "readOnly": True}
                    ],
                )
            ],
            "/sock",
        ),
        # The engine's own root is the host's /.
        "engine-own-root": (
            [
                _kept(
                    "sk_taker",
                    volumes=[
                        {
                            "hostPath": "/proc/self/root",
                            "containerPath": "/host",
                            "readOnly": True,
                        }
                    ],
                )
            ],
            f"/host{socket}",
        ),
    }


@pytest.mark.parametrize(
    "form",
    [
        "read-only-volume",
        "folder-bind-mount",
        "bind-made-volume",
        "volumes-from",
        "project-link",
        "engine-own-root",
    ],
)
def test_socket_reaches_the_engine(
    pack: PackClient,
    form: str,
    engine_socket: str,
    tmp_path: Path,
    realize: Callable[[], Realization],
) -> None:
    if reason := supported():
        pytest.skip(reason)
    resources, inside = _socket_forms(engine_socket, tmp_path)[form]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-docker-socket-mount",
        level="mandatory",
        on="sk_taker",
        config={"engineSockets": [engine_socket]},
    )
    r = realize()
    r.apply(resources)
    client = install(r.container("sk_taker"))
    # The container lists the engine's containers, itself among them, through a read-only mount.
    answer = _runs(r, "sk_taker", f"{LIST_CONTAINERS} | {client} {inside}", '"/sk_taker"')
    assert answer.startswith("HTTP/1.0 200 OK"), answer
    code, out = sh(r.container("sk_taker"), f"touch {inside}")
    assert code != 0 and "Read-only file system" in out, out


# -- host system folders ---------------------------------------------------------------------

WRITABLE_SYSTEM = "docker-container-disallow-writable-host-system-mount"
READ_ONLY_SYSTEM = "docker-container-disallow-read-only-host-system-mount"


def test_writable_host_root_lets_the_container_write_host_files(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [_kept("hs_root", volumes=[{"hostPath": "/", "containerPath": "/host"}])]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-writable-host-system-mount",
        level="mandatory",
        on="hs_root",
    )
    marker = Path("/tmp") / f"container-comms-proof-{uuid.uuid4().hex}"
    r = realize()
    r.apply(resources)
    try:
        code, out = sh(r.container("hs_root"), f"echo written-by-the-container > /host{marker}")
        assert code == 0, out

        def written() -> tuple[bool, str]:
            seen = marker.read_text() if marker.exists() else "(no file)"
            return seen == "written-by-the-container\n", seen

        _until(written)
    finally:
        marker.unlink(missing_ok=True)


@pytest.fixture
def etc_folder() -> Iterator[Path]:
    """A folder of the host's /etc made for one proof (as /etc/cron.d is one), then removed."""
    folder = Path("/etc") / f"container-comms-proof-{uuid.uuid4().hex}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_writable_folder_inside_host_etc_lets_the_container_write_there(
    pack: PackClient, etc_folder: Path, realize: Callable[[], Realization]
) -> None:
    """What a writable /etc/cron.d is: the container's files appear in the host's /etc, where
    the host's own programs read them."""
    resources = [_kept("hs_cron", volumes=[{"hostPath": str(etc_folder), "containerPath": "/x"}])]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-writable-host-system-mount",
        level="mandatory",
        on="hs_cron",
    )
    r = realize()
    r.apply(resources)
    code, out = sh(r.container("hs_cron"), "echo '* * * * * root true' > /x/job")
    assert code == 0, out
    job = etc_folder / "job"
    _until(lambda: (job.exists(), "no job yet"))
    assert job.read_text() == "* * * * * root true\n"


@pytest.fixture
def other_process() -> Iterator[int]:
    """A host process of the engine's user that is not the engine."""
    process = subprocess.Popen(["sleep", "600"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait(timeout=30)


def test_another_process_root_is_refused_at_start(
    pack: PackClient, other_process: int, realize: Callable[[], Realization]
) -> None:
    root = f"/proc/{other_process}/root"
    resources = [
        _kept("pr_root", volumes=[{"hostPath": root, "containerPath": "/h", "readOnly": True}])
    ]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-process-root-mount",
        level="mandatory",
        on="pr_root",
    )
    with pytest.raises(EngineRefused) as refused:
        realize().apply(resources)
    assert refused.value.step == "container start"
    assert f'error mounting "{root}" to rootfs at "/h"' in refused.value.message
    assert refused.value.message.endswith("invalid argument: unknown"), refused.value.message


def test_read_only_host_etc_shows_the_host_files(
    pack: PackClient, realize: Callable[[], Realization]
) -> None:
    resources = [
        _kept(
            "hs_etc", volumes=[{"hostPath": "/etc", "containerPath": "/host-etc", "readOnly": True}]
        )
    ]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-read-only-host-system-mount",
        level="advisory",
        on="hs_etc",
    )
    verdict = _findings(pack, resources)
    assert not verdict.mandatory, verdict.mandatory
    r = realize()
    r.apply(resources)
    hostname = Path("/etc/hostname").read_text().strip()
    _runs(r, "hs_etc", "cat /host-etc/hostname", hostname)
    code, out = sh(r.container("hs_etc"), "touch /host-etc/container-comms-proof")
    assert code != 0 and "Read-only file system" in out, out


def test_project_files_pass_the_pack_and_mount(
    pack: PackClient, tmp_path: Path, realize: Callable[[], Realization]
) -> None:
    """What compose apps do: the project's config read-only, its data folder writable."""
    (tmp_path / "nginx.conf").write_text("worker_processes 1;\n")
    (tmp_path / "data").mkdir()
    resources = [
        _kept(
            "hs_app",
            volumes=[
                {
                    "hostPath": str(tmp_path / "nginx.conf"),
                    "containerPath": "/etc/nginx/nginx.conf",
                    "readOnly": True,
                },
                {"hostPath": str(tmp_path / "data"), "containerPath": "/var/lib/app"},
                {"hostPath": "/etc/localtime", "containerPath": "/etc/localtime", "readOnly": True},
            ],
        )
    ]
    verdict = _findings(pack, resources)
    host_rules = {SOCKET, WRITABLE_SYSTEM, READ_ONLY_SYSTEM}
    assert [f for f in verdict.findings if f.policy in host_rules] == []
    assert not verdict.mandatory, verdict.mandatory
    r = realize()
    r.apply(resources)
    _runs(r, "hs_app", "cat /etc/nginx/nginx.conf", "worker_processes 1;")
    code, out = sh(r.container("hs_app"), "echo row > /var/lib/app/table")
    assert code == 0, out
    _until(lambda: ((tmp_path / "data" / "table").exists(), "no table yet"))


# -- host disks ------------------------------------------------------------------------------

DISK_MARKER = "HOST-DISK-MARKER"


@pytest.fixture
def loop_disk(tmp_path: Path) -> Iterator[str]:
    """A host disk for the proof: a loop device over a file that starts with DISK_MARKER."""
    losetup = shutil.which("losetup")
    if losetup is None:
        pytest.fail("losetup (util-linux) is needed to make a host disk for the proof", False)
    backing = tmp_path / "disk.img"
    backing.write_bytes(DISK_MARKER.encode() + bytes(1024 * 1024 - len(DISK_MARKER)))
    device = subprocess.run(
        [losetup, "--find", "--show", str(backing)],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        yield device
    finally:
        subprocess.run([losetup, "--detach", device], timeout=30, check=False)


def test_disk_device_reads_the_host_disk(
    pack: PackClient, loop_disk: str, realize: Callable[[], Realization]
) -> None:
    resources = [
        _kept(
            "dk_device",
            devices=[{"hostPath": loop_disk, "containerPath": "/dev/xdisk", "permissions": "r"}],
        )
    ]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-disk-device",
        level="mandatory",
        on="dk_device",
    )
    r = realize()
    r.apply(resources)
    _runs(r, "dk_device", f"head -c {len(DISK_MARKER)} /dev/xdisk", DISK_MARKER)


@pytest.fixture
def volume_link(loop_disk: str) -> Iterator[str]:
    """`/dev/<group>/<volume>`, as LVM links a logical volume: here a link to the loop disk."""
    group = Path("/dev") / f"ccproof{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "data").symlink_to(loop_disk)
        yield str(group / "data")
    finally:
        shutil.rmtree(group, ignore_errors=True)


def test_disk_device_through_a_link_reads_the_host_disk(
    pack: PackClient, volume_link: str, realize: Callable[[], Realization]
) -> None:
    resources = [
        _kept(
            "dk_link",
            devices=[{"hostPath": volume_link, "containerPath": "/dev/xdisk", "permissions": "r"}],
        )
    ]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-disk-device",
        level="mandatory",
        on="dk_link",
    )
    r = realize()
    r.apply(resources)
    _runs(r, "dk_link", f"head -c {len(DISK_MARKER)} /dev/xdisk", DISK_MARKER)


def test_block_device_cgroup_rule_reads_the_host_disk(
    pack: PackClient, loop_disk: str, realize: Callable[[], Realization]
) -> None:
    minor = os.minor(os.stat(loop_disk).st_rdev)
    major = os.major(os.stat(loop_disk).st_rdev)
    resources = [
        _kept("dk_rule", deviceCgroupRules=[f"b {major}:* rwm"]),
        _kept("dk_control"),
    ]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-disk-device",
        level="mandatory",
        on="dk_rule",
    )
    r = realize()
    r.apply(resources)
    read = f"mknod /tmp/disk b {major} {minor}; head -c {len(DISK_MARKER)} /tmp/disk"
    _runs(r, "dk_rule", read, DISK_MARKER)
    code, out = sh(r.container("dk_control"), read)
    assert code != 0 and "Operation not permitted" in out, out


# -- host namespaces ---------------------------------------------------------------------------


def test_host_pid_namespace_lets_the_container_kill_host_processes(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [_kept("ns_pid", pidMode="host"), _kept("ns_control")]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-namespaces",
        level="mandatory",
        on="ns_pid",
    )
    victim = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        r = realize()
        r.apply(resources)
        code, out = sh(r.container("ns_control"), f"cat /proc/{victim.pid}/cmdline")
        assert code != 0, f"a container without pidMode host sees the host process: {out}"
        _runs(r, "ns_pid", f"tr '\\0' ' ' < /proc/{victim.pid}/cmdline", "sleep 600")
        code, out = sh(r.container("ns_pid"), f"kill {victim.pid}")
        assert code == 0, out
        _until(lambda: (victim.poll() is not None, "the host process still runs"))
        assert victim.returncode == -signal.SIGTERM
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait(timeout=10)


def test_host_ipc_namespace_shares_the_host_shared_memory(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [_kept("ns_ipc", ipcMode="host"), _kept("ns_control")]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-namespaces",
        level="mandatory",
        on="ns_ipc",
    )
    marker = Path("/dev/shm") / f"container-comms-proof-{uuid.uuid4().hex}"
    answer = marker.with_name(marker.name + "-answer")
    marker.write_text("from-the-host\n")
    try:
        r = realize()
        r.apply(resources)
        code, out = sh(r.container("ns_control"), f"cat {marker}")
        assert code != 0, f"a container without ipcMode host sees the host's /dev/shm: {out}"
        _runs(r, "ns_ipc", f"cat {marker}", "from-the-host")
        code, out = sh(r.container("ns_ipc"), f"echo from-the-container > {answer}")
        assert code == 0, out
        _until(lambda: (answer.exists(), "no answer in the host's /dev/shm"))
        assert answer.read_text() == "from-the-container\n"
    finally:
        marker.unlink(missing_ok=True)
        answer.unlink(missing_ok=True)


def test_host_user_namespace_changes_nothing_on_an_engine_without_remapping(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [_kept("ns_userns", usernsMode="host"), _kept("ns_control")]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-user-namespace",
        level="advisory",
        on="ns_userns",
    )
    r = realize()
    r.apply(resources)
    identity = "0 0 4294967295"
    for name in ("ns_userns", "ns_control"):
        out = _runs(r, name, "cat /proc/self/uid_map", "4294967295")
        assert " ".join(out.split()) == identity, out  # root inside is the host's root


# -- capabilities ----------------------------------------------------------------------------

CAPABILITIES = "docker-container-enforce-allowed-capabilities"
UNKNOWN_CAPABILITY = "docker-container-disallow-unknown-capability"
CAPABILITY_BITS = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
    "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
]  # fmt: skip
"""Linux capability numbers 0..37, by name."""


def _effective(r: Realization, name: str) -> set[str]:
    out = _runs(r, name, "grep CapEff /proc/self/status", "CapEff")
    bits = int(out.split()[-1], 16)
    return {cap for number, cap in enumerate(CAPABILITY_BITS) if bits >> number & 1}


def test_default_capabilities_added_change_nothing(
    pack: PackClient, realize: Callable[[], Realization]
) -> None:
    defaults = sorted(security.ENGINE_DEFAULT_CAPABILITIES)
    resources = [
        _kept("cp_defaults", capabilities={"adds": [*defaults, "cap_chown", "net_raw"]}),
        _kept("cp_control"),
    ]
    verdict = _findings(pack, resources)
    assert [f for f in verdict.findings if f.policy in (CAPABILITIES, UNKNOWN_CAPABILITY)] == []
    r = realize()
    r.apply(resources)
    assert _effective(r, "cp_control") == set(defaults)  # engine 20.10's set is the pack's
    assert _effective(r, "cp_defaults") == set(defaults)


def test_capability_beyond_the_default_set_is_effective(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [_kept("cp_admin", capabilities={"adds": ["SYS_ADMIN"]}), _kept("cp_control")]
    _flags(
        pack,
        resources,
        rule="docker-container-enforce-allowed-capabilities",
        level="mandatory",
        on="cp_admin",
    )
    r = realize()
    r.apply(resources)
    assert "SYS_ADMIN" in _effective(r, "cp_admin")
    mount = "mkdir -p /m && mount -t tmpfs none /m && echo mounted"
    _runs(r, "cp_admin", mount, "mounted")
    code, out = sh(r.container("cp_control"), mount)
    assert code != 0 and "permission denied" in out, out


def test_network_capabilities_of_a_joined_container_act_on_its_owners_namespace_only(
    pack: PackClient, engine_netns: EngineNetns, realize: Callable[[], Realization]
) -> None:
    """What the monitor allowance rests on, with no label: NET_ADMIN in a container that joins
    another's namespace changes that namespace, and neither another container's nor the
    engine host's."""
    owner = _kept("jn_owner")
    resources = [
        owner,
        _kept(
            "jn_sidecar",
            networkMode="container:jn_owner",
            capabilities={"adds": ["NET_ADMIN", "NET_RAW"]},
            depends_on=(owner,),
        ),
        _kept("jn_other"),
    ]
    verdict = _findings(pack, resources)
    assert not [f for f in verdict.findings if f.policy == CAPABILITIES], verdict.findings
    r = realize()
    r.apply(resources)
    address = "10.213.99.1"
    _runs(r, "jn_sidecar", f"ip addr add {address}/32 dev lo && echo added", "added")
    _runs(r, "jn_owner", "ip -o addr show lo", address)
    code, out = sh(r.container("jn_other"), "ip -o addr show lo")
    assert code == 0 and address not in out, out
    assert address not in engine_netns.output("ip", "-o", "addr", "show", "lo")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("adds", "FOO", 'invalid CapAdd: unknown capability: "CAP_FOO"'),
        ("adds", "PERFMON", 'invalid CapAdd: unknown capability: "CAP_PERFMON"'),
        ("drops", "cap_bar", 'invalid CapDrop: unknown capability: "CAP_BAR"'),
    ],
    ids=["unknown-name", "newer-engines-name", "unknown-drop"],
)
def test_unknown_capability_is_refused(
    pack: PackClient, key: str, value: str, message: str, realize: Callable[[], Realization]
) -> None:
    resources = [_kept("cp_unknown", capabilities={key: [value]})]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-unknown-capability",
        level="mandatory",
        on="cp_unknown",
    )
    with pytest.raises(EngineRefused) as refused:
        realize().apply(resources)
    assert refused.value.step == "container create"
    assert refused.value.message == message


def test_capability_names_in_any_case_are_known(
    pack: PackClient, realize: Callable[[], Realization]
) -> None:
    resources = [_kept("cp_case", capabilities={"adds": ["net_admin"], "drops": ["Cap_Mknod"]})]
    verdict = _findings(pack, resources)
    assert [f for f in verdict.findings if f.policy == UNKNOWN_CAPABILITY] == []
    r = realize()
    r.apply(resources)
    effective = _effective(r, "cp_case")
    assert "NET_ADMIN" in effective and "MKNOD" not in effective, effective


# -- the host's network ------------------------------------------------------------------------


def test_host_network_shares_the_engine_hosts_interfaces(
    pack: PackClient, engine: docker.DockerClient, realize: Callable[[], Realization]
) -> None:
    resources = [_kept("hn_host", networkMode="host"), _kept("hn_control")]
    _flags(
        pack,
        resources,
        rule="docker-container-disallow-host-network",
        level="mandatory",
        on="hn_host",
    )
    bridge = engine.networks.get("bridge").attrs["Options"]["com.docker.network.bridge.name"]
    r = realize()
    r.apply(resources)
    _runs(r, "hn_host", "ip -o link", f": {bridge}:")
    code, out = sh(r.container("hn_control"), "ip -o link")
    assert code == 0 and f": {bridge}:" not in out, out


# -- security options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "step", "message"),
    [
        ("foo", "container create", 'invalid --security-opt 1: "foo"'),
        ("foo=bar", "container create", 'invalid --security-opt 2: "foo=bar"'),
        (
            "systempaths=unconfined",
            "container create",
            'invalid --security-opt 2: "systempaths=unconfined"',
        ),
        (
            "seccomp=/etc/docker/seccomp.json",
            "container start",
            "Decoding seccomp profile failed: invalid character '/' looking for beginning of value",
        ),
    ],
    ids=["no-separator", "unknown-key", "systempaths", "seccomp-file-name"],
)
def test_security_opt_is_refused(
    pack: PackClient, option: str, step: str, message: str, realize: Callable[[], Realization]
) -> None:
    resources = [_kept("so_refused", securityOpts=[option])]
    _flags(pack,
        resources, rule="docker-container-enforce-valid-security-opt", level="mandatory",
        on="so_refused",
    )  # fmt: skip
    with pytest.raises(EngineRefused) as refused:
        realize().apply(resources)
    assert (refused.value.step, refused.value.message) == (step, message)


def test_unconfined_seccomp_lets_the_container_make_user_namespaces(
    pack: PackClient,
    realize: Callable[[], Realization],
) -> None:
    resources = [
        _kept("so_open", securityOpts=["seccomp=unconfined"]),
        _kept("so_empty", securityOpts=["seccomp={}"]),
        _kept("so_control"),
    ]
    for name in ("so_open", "so_empty"):
        _flags(pack,
            resources, rule="docker-container-disallow-unconfined-security-opt", level="mandatory",
            on=name,
        )  # fmt: skip
    r = realize()
    r.apply(resources)
    for name in ("so_open", "so_empty"):
        _runs(r, name, "grep '^Seccomp:' /proc/self/status", "Seccomp:\t0")
        _runs(r, name, "unshare -U true && echo made", "made")
    code, out = sh(r.container("so_control"), "unshare -U true")
    assert code != 0 and "Operation not permitted" in out, out
