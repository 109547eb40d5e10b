"""Proofs for the mount, resource and process rules: what engine 20.10 refuses or silently
drops, created the way the provider creates it.

Each case is one container whose one value the pack flags (at the mandatory level, asked as the
offline gate asks it); realized on the engine, it is refused at the step and with the exact
message the rule pre-empts, or it runs without what it asked for. The vocabulary behind the
rules (signal names, ulimit names, log drivers, namespaced kernel parameters) is proven name by
name, and what the rules let pass runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
import pytest

from policies.rules.vocabulary import (
    IPC_SYSCTLS,
    LOG_DRIVERS,
    SIGNAL_NAMES,
    ULIMIT_NAMES,
    sysctl_problem,
)
from tests.engine.probes import container, sh, volume
from tests.engine.realize import EngineRefused, Realization
from tests.pack_client import PackClient

pytestmark = pytest.mark.engine

Check = Callable[[Realization], None]


@dataclass(frozen=True)
class Case:
    """One container with one value the pack flags, and what the engine does with it."""

    id: str
    rule: str
    inputs: dict[str, Any]
    """The container's inputs beside name, image and command."""
    step: str = ""
    """For a refusal: the step the engine refuses."""
    message: str = ""
    """For a refusal: the engine's exact message (or its start, with `prefix`)."""
    prefix: bool = False
    check: Check | None = None
    """For an accepted value: proof that it does not do what it asks."""
    volume: bool = False
    """The container mounts the volume `rf_data`, which the case creates first."""
    level: str = "mandatory"
    """The level the pack reports it at."""


def _proven(rule: str) -> str:
    """A rule these proofs cover, named as `rule="..."` (how the README check finds them)."""
    return rule


MOUNTS = _proven(rule="docker-container-enforce-valid-mounts")
RESOURCES = _proven(rule="docker-container-enforce-valid-resources")
SHM = _proven(rule="docker-container-disallow-ignored-shm-size")
PROCESS = _proven(rule="docker-container-enforce-valid-process")
HEALTHCHECK = _proven(rule="docker-container-enforce-valid-healthcheck")
LOGGING = _proven(rule="docker-container-enforce-valid-logging")
SYSCTLS = _proven(rule="docker-container-disallow-host-sysctls")
HOST_SOURCES = _proven(rule="docker-container-require-host-sources")
IMAGE_USER = _proven(rule="docker-container-require-image-user")

_OCI = "failed to create shim task: OCI runtime create failed: runc create failed: "
_INIT = _OCI + "unable to start container process: error during container init: "
_LOG_INIT = "failed to initialize logging driver: "


def _tmpfs_took_the_mount(r: Realization) -> None:
    box = r.container("rf_box")
    assert box.status == "running"
    # The bind of /etc is recorded, and the container sees an empty tmpfs there instead.
    assert [m["Destination"] for m in box.attrs["Mounts"]] == ["/data"]
    assert sh(box, "grep ' /data ' /proc/mounts | cut -d' ' -f1,3") == (0, "tmpfs tmpfs")
    assert sh(box, "ls -A /data") == (0, "")


def _shm_size_ignored(r: Realization) -> None:
    owner, box = r.container("rf_owner"), r.container("rf_box")
    assert box.attrs["HostConfig"]["ShmSize"] == 16 * 1024 * 1024  # recorded as given...
    shm = "df -k /dev/shm | tail -1 | awk '{print $2}'"
    assert sh(owner, shm) == (0, str(128 * 1024))  # ...and the owner's 128 MiB is what it has
    assert sh(box, shm) == (0, str(128 * 1024))


def _never_ran(r: Realization) -> None:
    box = r.container("rf_box")
    box.wait(timeout=15)
    box.reload()
    assert box.status == "exited", box.status
    assert box.attrs["State"]["ExitCode"] == 1
    assert box.logs().decode() == "exec /bin/sh: invalid argument\n"


CASES = [
    # -- mounts ----------------------------------------------------------------------------
    Case(
        "mount-target-twice", MOUNTS,
        {"mounts": [{"type": "volume", "source": "rf_data", "target": "/data"},
                    {"type": "bind", "source": "/etc", "target": "/data"}]},
        "container create", "Duplicate mount point: /data", volume=True,
    ),
    Case(
        "tmpfs-mount-over-volume", MOUNTS,
        {"mounts": [{"type": "volume", "source": "rf_data", "target": "/data"},
                    {"type": "tmpfs", "target": "/data"}]},
        "container create", "Duplicate mount point: /data", volume=True,
    ),
    Case(
        "bind-and-volume-on-one-target", MOUNTS,
        {"volumes": [{"hostPath": "/etc", "containerPath": "/data"},
                     {"volumeName": "rf_data", "containerPath": "/data"}]},
        "container create", "Duplicate mount point: /data", volume=True,
    ),
    Case(
        "tmpfs-map-over-bind", MOUNTS,
        {"volumes": [{"hostPath": "/etc", "containerPath": "/data"}], "tmpfs": {"/data": "rw"}},
        "container create", "Duplicate mount point: /data",
    ),
    Case(
        "tmpfs-map-over-mount", MOUNTS,
        {"mounts": [{"type": "bind", "source": "/etc", "target": "/data"}],
         "tmpfs": {"/data": "rw"}},
        check=_tmpfs_took_the_mount,
    ),
    Case(
        "mount-on-root", MOUNTS,
        {"mounts": [{"type": "bind", "source": "/etc", "target": "/"}]},
        "container create",
        'invalid mount config for type "bind": invalid specification: destination can\'t be \'/\'',
    ),
    Case(
        "volume-bind-on-root", MOUNTS,
        {"volumes": [{"hostPath": "/etc", "containerPath": "/"}]},
        "container create",
        "invalid volume specification: '/etc:/:rw': invalid mount config for type \"bind\": "
        "invalid specification: destination can't be '/'",
    ),
    Case(
        "relative-bind-source", MOUNTS,
        {"mounts": [{"type": "bind", "source": "./data", "target": "/data"}]},
        "container create",
        "invalid mount config for type \"bind\": invalid mount path: './data' mount path must be "
        "absolute",
    ),
    Case(
        "relative-host-path", MOUNTS,
        {"volumes": [{"hostPath": "./data", "containerPath": "/data"}]},
        "container create",
        'create ./data: "./data" includes invalid characters for a local volume name, only '
        '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use '
        "absolute path",
    ),
    Case(
        "read-only-anonymous-volume", MOUNTS,
        {"mounts": [{"type": "volume", "target": "/data", "readOnly": True}]},
        "container create",
        'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous '
        "volumes",
    ),
    # -- resources -------------------------------------------------------------------------
    Case("memory-below-6mb", RESOURCES, {"memory": 5}, "container create",
         "Minimum memory limit allowed is 6MB"),
    Case("swap-below-memory", RESOURCES, {"memory": 64, "memorySwap": 32}, "container create",
         "Minimum memoryswap limit should be larger than memory limit, see usage"),
    Case("swap-without-memory", RESOURCES, {"memorySwap": 64}, "container create",
         "You should always set the Memory limit when using Memoryswap limit, see usage"),
    Case("reservation-above-memory", RESOURCES, {"memory": 64, "memoryReservation": 128},
         "container create",
         "Minimum memory limit can not be less than memory reservation limit, see usage"),
    Case("cpus-below-quota", RESOURCES, {"cpus": "0.005"}, "container start",
         _INIT + "error setting cgroup config for procHooks process: failed to write \"500\": "
         "write /sys/fs/cgroup/cpu/docker/", prefix=True),
    Case("cpus-negative", RESOURCES, {"cpus": "-1"}, "container create",
         "Range of CPUs is from 0.01 to ", prefix=True),
    Case("ulimit-soft-above-hard", RESOURCES,
         {"ulimits": [{"name": "nofile", "soft": 2048, "hard": 1024}]}, "container start",
         _INIT + "error setting rlimits for ready process: error setting rlimit type 7: invalid "
         "argument: unknown"),
    Case("ulimit-unknown-name", RESOURCES,
         {"ulimits": [{"name": "files", "soft": 1, "hard": 1}]}, "container start",
         _OCI + "wrong rlimit value: RLIMIT_FILES: unknown"),
    # -- process ---------------------------------------------------------------------------
    Case("relative-working-dir", PROCESS, {"workingDir": "app"}, "container create",
         "the working directory 'app' is invalid, it needs to be an absolute path"),
    Case("unknown-stop-signal", PROCESS, {"stopSignal": "SIGFOO"}, "container create",
         "Invalid signal: SIGFOO"),
    Case("stop-signal-with-newline", PROCESS, {"stopSignal": "SIGTERM\n"}, "container create",
         "Invalid signal: SIGTERM\n"),
    Case("empty-env-name", PROCESS, {"envs": ["=x"]}, "container create",
         "invalid environment variable: =x"),
    Case("nul-in-env-value", PROCESS, {"envs": ["A=b\x00c"]}, "container start",
         _INIT + 'environment variable value can\'t contain null(\\x00): "A=b\\x00c": unknown'),
    Case("nul-in-command", PROCESS,
         {"command": ["sh", "-c", "sleep 3600\x00"], "restart": "no", "mustRun": False},
         check=_never_ran),
    Case("hostname-over-64", PROCESS, {"hostname": "h" * 65}, "container start",
         _INIT + "sethostname: invalid argument: unknown"),
    Case("rm-with-restart", PROCESS, {"rm": True}, "container create",
         "can't create 'AutoRemove' container with restart policy"),
    Case("healthcheck-interval-below-1ms", HEALTHCHECK,
         {"healthcheck": {"tests": ["CMD", "true"], "interval": "1us"}}, "container create",
         "Interval in Healthcheck cannot be less than 1ms"),
    Case("healthcheck-timeout-below-1ms", HEALTHCHECK,
         {"healthcheck": {"tests": ["CMD", "true"], "timeout": "999us"}}, "container create",
         "Timeout in Healthcheck cannot be less than 1ms"),
    Case("healthcheck-start-period-below-1ms", HEALTHCHECK,
         {"healthcheck": {"tests": ["CMD", "true"], "startPeriod": "1us"}}, "container create",
         "StartPeriod in Healthcheck cannot be less than 1ms"),
    Case("unknown-log-driver", LOGGING, {"logDriver": "bogus"}, "container create",
         'error looking up logging plugin bogus: plugin "bogus" not found'),
    Case("log-driver-with-newline", LOGGING, {"logDriver": "json-file\n"}, "container create",
         'error looking up logging plugin json-file\n: plugin "json-file\\n" not found'),
    Case("bad-log-max-size", LOGGING, {"logDriver": "json-file", "logOpts": {"max-size": "abc"}},
         "container start", _LOG_INIT + "invalid size: 'abc'"),
    Case("log-max-size-with-newline", LOGGING,
         {"logDriver": "json-file", "logOpts": {"max-size": "10m\n"}},
         "container start", _LOG_INIT + "invalid size: '10m\n'"),
    Case("unknown-log-option", LOGGING, {"logDriver": "local", "logOpts": {"tag": "x"}},
         "container create", "unknown log opt 'tag' for log driver local"),
    Case("bad-log-mode", LOGGING, {"logDriver": "json-file", "logOpts": {"mode": "bogus"}},
         "container create", "logger: logging mode not supported: bogus"),
    Case("log-compress-without-rotation", LOGGING,
         {"logDriver": "json-file", "logOpts": {"max-size": "10m", "compress": "true"}},
         "container start",
         _LOG_INIT + "compress cannot be true when max-file is less than 2 or max-size is not set"),
    Case("log-max-file-zero", LOGGING, {"logDriver": "json-file", "logOpts": {"max-file": "0"}},
         "container start", _LOG_INIT + "max-file cannot be less than 1"),
    Case("kernel-sysctl", SYSCTLS, {"sysctls": {"kernel.pid_max": "100000"}}, "container start",
         _OCI + 'sysctl "kernel.pid_max" is not in a separate kernel namespace: unknown'),
    Case("vm-sysctl", SYSCTLS, {"sysctls": {"vm.swappiness": "10"}}, "container start",
         _OCI + 'sysctl "vm.swappiness" is not in a separate kernel namespace: unknown'),
    Case("net-sysctl-on-host-network", SYSCTLS,
         {"networkMode": "host", "sysctls": {"net.core.somaxconn": "1024"}}, "container start",
         _OCI + 'sysctl "net.core.somaxconn" not allowed in host network namespace: unknown'),
    # -- what only the engine's host or the image can tell (advisory) -----------------------
    Case("missing-bind-source", HOST_SOURCES,
         {"mounts": [{"type": "bind", "source": "/nonexistent/rf", "target": "/data"}]},
         "container create",
         'invalid mount config for type "bind": bind source path does not exist: /nonexistent/rf',
         level="advisory"),
    Case("missing-device", HOST_SOURCES, {"devices": [{"hostPath": "/dev/nonexistent"}]},
         "container start",
         'error gathering device information while adding custom device "/dev/nonexistent": '
         "no such file or directory", level="advisory"),
    Case("user-not-in-image", IMAGE_USER, {"user": "nobodyhere"}, "container start",
         "unable to find user nobodyhere: no matching entries in passwd file", level="advisory"),
    Case("group-not-in-image", IMAGE_USER, {"user": "0:nogrouphere"}, "container start",
         "unable to find group nogrouphere: no matching entries in group file",
         level="advisory"),
    Case("shm-with-joined-ipc", SHM, {"ipcMode": "container:rf_owner", "shmSize": 16},
         check=_shm_size_ignored),
]  # fmt: skip


def _resources(case: Case) -> list[Any]:
    made: list[Any] = []
    if case.volume:
        made.append(volume("rf_data"))
    if case.rule == SHM:
        made.append(
            container("rf_owner", mustRun=True, restart="unless-stopped", ipcMode="shareable",
                      shmSize=128)
        )  # fmt: skip
    inputs = {"mustRun": True, "restart": "unless-stopped", **case.inputs}
    made.append(container("rf_box", depends_on=tuple(made), **inputs))
    return made


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_matches_the_engine(
    pack: PackClient, case: Case, realize: Callable[[], Realization]
) -> None:
    resources = _resources(case)
    flagged = [f for f in pack.check(resources).findings if f.policy == case.rule]
    assert [f.level for f in flagged] == [case.level], flagged

    realization = realize()
    if case.check is not None:
        realization.apply(resources)
        case.check(realization)
        return
    with pytest.raises(EngineRefused) as refused:
        realization.apply(resources)
    assert (refused.value.resource, refused.value.step) == ("rf_box", case.step), refused.value
    if case.prefix:
        assert refused.value.message.startswith(case.message), refused.value.message
    else:
        assert refused.value.message == case.message


# -- the vocabulary, name by name ---------------------------------------------------------------


def _created(engine: docker.DockerClient, **options: Any) -> str | None:
    """None when the engine creates a busybox container with these options, else its refusal."""
    try:
        made = engine.api.create_container("busybox:latest", ["true"], **options)
    except docker.errors.APIError as error:
        return str(error.explanation)
    engine.api.remove_container(made["Id"], force=True)
    return None


def _started(engine: docker.DockerClient, **host: Any) -> str | None:
    """None when a busybox container with this host config starts, else the engine's refusal."""
    config = engine.api.create_host_config(**host)
    made = engine.api.create_container("busybox:latest", ["sleep", "5"], host_config=config)
    try:
        engine.api.start(made["Id"])
    except docker.errors.APIError as error:
        return str(error.explanation)
    finally:
        engine.api.remove_container(made["Id"], force=True)
    return None


def test_every_signal_name_the_rule_knows_is_the_engines(
    engine: docker.DockerClient, standins: object
) -> None:
    del standins
    spellings = [*SIGNAL_NAMES, *(f"SIG{n}" for n in SIGNAL_NAMES), "sigterm", "15", "64"]
    refused = {s: _created(engine, stop_signal=s) for s in spellings}
    assert {s: r for s, r in refused.items() if r is not None} == {}
    for wrong in ("SIGFOO", "TERM ", "0", "SIGRTMIN+16"):
        assert _created(engine, stop_signal=wrong) == f"Invalid signal: {wrong}"


def test_every_ulimit_name_the_rule_knows_is_the_engines(
    engine: docker.DockerClient, standins: object
) -> None:
    del standins
    for name in sorted(ULIMIT_NAMES):
        # A known name gets past runc's spec conversion (the limit itself may still not suit
        # the program); an unknown one never does.
        refusal = _started(engine, ulimits=[docker.types.Ulimit(name=name, soft=0, hard=0)])
        assert refusal is None or "wrong rlimit value" not in refusal, (name, refusal)
    refusal = _started(engine, ulimits=[docker.types.Ulimit(name="files", soft=0, hard=0)])
    assert refusal == f"{_OCI}wrong rlimit value: RLIMIT_FILES: unknown"


def test_the_log_drivers_the_rule_knows_are_the_engines(engine: docker.DockerClient) -> None:
    assert set(engine.info()["Plugins"]["Log"]) | {"none"} == LOG_DRIVERS


def test_the_namespaced_sysctls_start_and_the_others_do_not(
    engine: docker.DockerClient, standins: object
) -> None:
    del standins
    allowed = [*sorted(IPC_SYSCTLS), "fs.mqueue.msg_max", "net.core.somaxconn", "kernel.domainname"]
    for name in allowed:
        assert sysctl_problem(name) is None
        value = "250 32000 32 128" if name == "kernel.sem" else "1"
        assert _started(engine, sysctls={name: value}) is None, name
    for name in ("kernel.pid_max", "vm.swappiness", "fs.file-max", "kernel.hostname"):
        problem = sysctl_problem(name)
        assert problem is not None
        assert _started(engine, sysctls={name: "1"}) == f"{_OCI}{problem}: unknown"
    problem = sysctl_problem("kernel.shmmax", host_ipc=True)
    assert _started(engine, sysctls={"kernel.shmmax": "1000000"}, ipc_mode="host") == (
        f"{_OCI}{problem}: unknown"
    )


def test_what_the_rules_let_pass_runs(pack: PackClient, realize: Callable[[], Realization]) -> None:
    """The edge of each limit: 6 MiB, swap equal to memory, 0.01 CPUs, a 64-character hostname,
    a 1ms healthcheck, rotation with compression, rm with restart "no", signal numbers."""
    box = container(
        "rf_edge", mustRun=True, restart="no", rm=True, memory=6, memorySwap=6, cpus="0.01",
        hostname="h" * 64, stopSignal="sigrtmin+3", workingDir="/tmp",
        healthcheck={"tests": ["true"], "interval": "1s", "timeout": "1ms", "startPeriod": "1ms"},
        logDriver="json-file",
        logOpts={"max-size": "10 m", "max-file": "2", "compress": "true", "mode": "non-blocking"},
        ulimits=[{"name": "NOFILE", "soft": 1024, "hard": 1024}],
        sysctls={"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmax": "1000000"},
        envs=["A B=c", "EMPTY="],
    )  # fmt: skip
    verdict = pack.check([box])
    rules = {MOUNTS, RESOURCES, SHM, PROCESS, HEALTHCHECK, LOGGING, SYSCTLS}
    assert [f for f in verdict.findings if f.policy in rules] == []
    realization = realize()
    realization.apply([box])
    assert realization.container("rf_edge").status == "running"
