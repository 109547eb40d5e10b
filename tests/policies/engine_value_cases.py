"""The failing cases of the mount, resource and process rules: values engine 20.10 refuses or
silently drops (each proven in `tests/engine/test_engine_refusals.py`).

Each case starts from `compliant_stack()` and changes one field of one container (or two that
only make sense together: a swap limit and the memory limit it is measured against); `expected`
is every message the rule must report, in order.
"""

from __future__ import annotations

from typing import Any

from tests.policies.policy_cases import Case, Mutation, set_field

MOUNTS = "docker-container-enforce-valid-mounts"
RESOURCES = "docker-container-enforce-valid-resources"
SHM = "docker-container-disallow-ignored-shm-size"
PROCESS = "docker-container-enforce-valid-process"
HEALTHCHECK = "docker-container-enforce-valid-healthcheck"
LOGGING = "docker-container-enforce-valid-logging"
SYSCTLS = "docker-container-disallow-host-sysctls"
HOST_SOURCES = "docker-container-require-host-sources"
IMAGE_USER = "docker-container-require-image-user"


def both(fields: dict[str, Any]) -> Mutation:
    """A mutation that sets several top-level fields at once."""

    def change(props: dict[str, Any]) -> None:
        props.update(fields)

    return change


ENGINE_VALUE_CASES = [
    Case(
        "mount-target-twice",
        MOUNTS,
        "bbox3",
        set_field(
            "mounts",
            [
                {"type": "volume", "source": "data", "target": "/data"},
                {"type": "bind", "source": "/srv/data", "target": "/data/"},
            ],
        ),
        (
            (
                (
                    'container "bbox3": mounts[1] (bind on "/data/") uses the target of '
                    'mounts[0] (volume on "/data"); the engine refuses it at create with '
                    '"Duplicate mount point: /data"; give each mount its own target.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "tmpfs-mount-over-volume",
        MOUNTS,
        "bbox3",
        set_field(
            "mounts",
            [
                {"type": "volume", "source": "data", "target": "/data"},
                {"type": "tmpfs", "target": "/data"},
            ],
        ),
        (
            (
                (
                    'container "bbox3": mounts[1] (tmpfs on "/data") uses the target of '
                    'mounts[0] (volume on "/data"); the engine refuses it at create with '
                    '"Duplicate mount point: /data"; give each mount its own target.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "bind-and-mount-on-one-target",
        MOUNTS,
        "bbox3",
        set_field(
            "volumes",
            [
                {"hostPath": "/srv/data", "containerPath": "/data"},
                {"volumeName": "data", "containerPath": "/data"},
            ],
        ),
        (
            (
                (
                    'container "bbox3": volumes[1] (bind on "/data") uses the target of '
                    'volumes[0] (bind on "/data"); the engine refuses it at create with '
                    '"Duplicate mount point: /data"; give each mount its own target.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "tmpfs-map-over-bind",
        MOUNTS,
        "bbox3",
        both(
            {
                "volumes": [{"hostPath": "/srv/data", "containerPath": "/data"}],
                "tmpfs": {"/data": "rw"},
            }
        ),
        (
            (
                'container "bbox3": the tmpfs map\'s entry "/data" uses the target of volumes[0] '
                '(bind on "/data"); the engine refuses it at create with "Duplicate mount point: '
                '/data"; give each mount its own target.',
                "",
            ),
        ),
    ),
    Case(
        "tmpfs-map-over-mount",
        MOUNTS,
        "bbox3",
        both(
            {
                "mounts": [{"type": "bind", "source": "/srv/data", "target": "/data"}],
                "tmpfs": {"/data": "rw"},
            }
        ),
        (
            (
                (
                    'container "bbox3": mounts[0] and the tmpfs map both use "/data"; the engine '
                    "accepts it and silently drops mounts[0]: the container sees an empty tmpfs "
                    "there; keep one of them."
                ),
                "",
            ),
        ),
    ),
    Case(
        "mount-on-root",
        MOUNTS,
        "bbox3",
        set_field("mounts", [{"type": "bind", "source": "/srv", "target": "/"}]),
        (
            (
                (
                    'container "bbox3": mounts[0] targets "/"; the engine refuses it at create '
                    'with "invalid mount config for type "bind": invalid specification: '
                    "destination can't be '/'\"; mount below the root, such as /data."
                ),
                "",
            ),
        ),
    ),
    Case(
        "volume-bind-on-root",
        MOUNTS,
        "bbox3",
        set_field("volumes", [{"hostPath": "/srv", "containerPath": "/"}]),
        (
            (
                (
                    'container "bbox3": volumes[0] targets "/"; the engine refuses it at create '
                    "with \"invalid volume specification: '/srv:/:rw': invalid mount config for "
                    "type \"bind\": invalid specification: destination can't be '/'\"; mount "
                    "below the root, such as /data."
                ),
                "",
            ),
        ),
    ),
    Case(
        "relative-bind-source",
        MOUNTS,
        "bbox3",
        set_field("mounts", [{"type": "bind", "source": "./data", "target": "/data"}]),
        (
            (
                (
                    'container "bbox3": mounts[0] binds the relative host path "./data"; the '
                    'engine refuses it at create with "invalid mount config for type "bind": '
                    "invalid mount path: './data' mount path must be absolute\"; give the "
                    "absolute host path."
                ),
                "",
            ),
        ),
    ),
    Case(
        "relative-host-path",
        MOUNTS,
        "bbox3",
        set_field("volumes", [{"hostPath": "./data", "containerPath": "/data"}]),
        (
            (
                (
                    'container "bbox3": volumes[0].hostPath "./data" is not an absolute path; '
                    'the engine refuses it at create with "create ./data: "./data" includes '
                    "invalid characters for a local volume name, only "
                    '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host '
                    'directory, use absolute path"; give the absolute host path.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "bare-host-path",
        MOUNTS,
        "bbox3",
        set_field("volumes", [{"hostPath": "data", "containerPath": "/data"}]),
        (
            (
                (
                    'container "bbox3": volumes[0].hostPath "data" is not an absolute path; the '
                    "engine takes it for a volume name and mounts an empty volume of that name "
                    "instead of a host folder; give the absolute host path (or set volumeName)."
                ),
                "",
            ),
        ),
    ),
    Case(
        "read-only-anonymous-volume",
        MOUNTS,
        "bbox3",
        set_field("mounts", [{"type": "volume", "target": "/data", "readOnly": True}]),
        (
            (
                (
                    'container "bbox3": mounts[0] is a read-only anonymous volume; the engine '
                    'refuses it at create with "invalid mount config for type "volume": must not '
                    'set ReadOnly mode when using anonymous volumes"; name a volume as its '
                    "source, or drop readOnly."
                ),
                "",
            ),
        ),
    ),
    Case(
        "relative-mount-target",
        MOUNTS,
        "bbox3",
        set_field("mounts", [{"type": "tmpfs", "target": "data"}]),
        (
            (
                (
                    'container "bbox3": mounts[0] targets "data", a relative path; the engine '
                    'refuses it at create with "invalid mount config for type "tmpfs": invalid '
                    "mount path: 'data' mount path must be absolute\"; give an absolute path "
                    "inside the container."
                ),
                "",
            ),
        ),
    ),
    Case(
        "memory-below-6mb",
        RESOURCES,
        "bbox3",
        set_field("memory", 5.0),
        (
            (
                (
                    'container "bbox3": memory 5 MiB is below the engine\'s least limit; the '
                    'engine refuses it at create with "Minimum memory limit allowed is 6MB"; '
                    "give 6 (MiB) or more, or none."
                ),
                "",
            ),
        ),
    ),
    Case(
        "memory-negative",
        RESOURCES,
        "bbox3",
        set_field("memory", -1.0),
        (
            (
                (
                    'container "bbox3": memory -1 MiB is below the engine\'s least limit; the '
                    'engine refuses it at create with "Minimum memory limit allowed is 6MB"; '
                    "give 6 (MiB) or more, or none."
                ),
                "",
            ),
        ),
    ),
    Case(
        "swap-below-memory",
        RESOURCES,
        "bbox3",
        both({"memory": 64.0, "memorySwap": 32.0}),
        (
            (
                (
                    'container "bbox3": memorySwap 32 MiB is below memory 64 MiB (memorySwap is '
                    'memory plus swap); the engine refuses it at create with "Minimum memoryswap '
                    'limit should be larger than memory limit, see usage"; give at least the '
                    "memory limit, or -1 for unlimited swap."
                ),
                "",
            ),
        ),
    ),
    Case(
        "swap-without-memory",
        RESOURCES,
        "bbox3",
        both({"memory": None, "memorySwap": 64.0}),  # the compliant stack limits memory
        (
            (
                (
                    'container "bbox3": memorySwap 64 MiB without a memory limit; the engine '
                    'refuses it at create with "You should always set the Memory limit when '
                    'using Memoryswap limit, see usage"; set memory too, or drop memorySwap.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "reservation-above-memory",
        RESOURCES,
        "bbox3",
        both({"memory": 64.0, "memoryReservation": 128.0}),
        (
            (
                (
                    'container "bbox3": memoryReservation 128 MiB is above memory 64 MiB; the '
                    'engine refuses it at create with "Minimum memory limit can not be less than '
                    'memory reservation limit, see usage"; keep the reservation at or below the '
                    "limit."
                ),
                "",
            ),
        ),
    ),
    Case(
        "shm-negative",
        RESOURCES,
        "bbox3",
        set_field("shmSize", -1.0),
        (
            (
                (
                    'container "bbox3": shmSize -1 is negative; the engine refuses it at create '
                    'with "SHM size can not be less than 0"; give a size in MiB, or none.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "cpus-below-quota",
        RESOURCES,
        "bbox3",
        set_field("cpus", "0.005"),
        (
            (
                (
                    'container "bbox3": cpus "0.005" is below 0.01; the engine\'s CPU quota for '
                    "it is under the kernel's 1 ms floor, and the start fails (runc: failed to "
                    "write cpu.cfs_quota_us: invalid argument) or, below 0.00001, the quota "
                    "rounds to no limit at all; give 0.01 or more."
                ),
                "",
            ),
        ),
    ),
    Case(
        "cpus-negative",
        RESOURCES,
        "bbox3",
        set_field("cpus", "-1"),
        (
            (
                (
                    'container "bbox3": cpus "-1" is negative; the engine refuses it at create '
                    'with "Range of CPUs is from 0.01 to <n>.00, as there are only <n> CPUs '
                    'available"; give 0.01 or more.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "cpus-not-a-number",
        RESOURCES,
        "bbox3",
        set_field("cpus", "0.5\n"),
        (
            (
                (
                    'container "bbox3": cpus "0.5\\n" is not a number; the provider refuses it '
                    '(failed to parse it as a rational number); give a decimal such as "0.5".'
                ),
                "",
            ),
        ),
    ),
    Case(
        "cpus-too-precise",
        RESOURCES,
        "bbox3",
        set_field("cpus", "0.0100000001"),
        (
            (
                (
                    'container "bbox3": cpus "0.0100000001" has more than nine decimals; the '
                    "provider refuses it (value is too precise); give at most nine, such as "
                    '"0.5".'
                ),
                "",
            ),
        ),
    ),
    Case(
        "ulimit-soft-above-hard",
        RESOURCES,
        "bbox3",
        set_field("ulimits", [{"name": "nofile", "soft": 2048.0, "hard": 1024.0}]),
        (
            (
                (
                    'container "bbox3": ulimits[0] ("nofile") has soft limit 2048 above hard '
                    'limit 1024; the start fails with "error setting rlimit type <n>: invalid '
                    'argument"; keep soft at or below hard.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "ulimit-unknown-name",
        RESOURCES,
        "bbox3",
        set_field("ulimits", [{"name": "files", "soft": 1.0, "hard": 1.0}]),
        (
            (
                (
                    'container "bbox3": ulimits[0] names "files", which is not a resource limit; '
                    'the start fails with "wrong rlimit value: RLIMIT_FILES"; use one of as, '
                    "core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
                    "rtprio, rttime, sigpending, stack."
                ),
                "",
            ),
        ),
    ),
    Case(
        "shm-with-joined-ipc",
        SHM,
        "bbox3",
        both({"ipcMode": "container:bbox1", "shmSize": 64.0}),
        (
            (
                (
                    'container "bbox3": shmSize 64 MiB with ipcMode "container:bbox1"; the '
                    'container uses "bbox1"\'s /dev/shm, so the engine accepts the size and '
                    "ignores it; set the size where the IPC namespace is made (its owner's "
                    "shmSize), or drop it."
                ),
                "",
            ),
        ),
    ),
    Case(
        "shm-with-host-ipc",
        SHM,
        "bbox3",
        both({"ipcMode": "host", "shmSize": 64.0}),
        (
            (
                (
                    'container "bbox3": shmSize 64 MiB with ipcMode "host"; the container uses '
                    "the host's /dev/shm, so the engine accepts the size and ignores it; set the "
                    "size where the IPC namespace is made (its owner's shmSize), or drop it."
                ),
                "",
            ),
        ),
    ),
    Case(
        "relative-working-dir",
        PROCESS,
        "bbox3",
        set_field("workingDir", "app"),
        (
            (
                (
                    'container "bbox3": workingDir "app" is not an absolute path; the engine '
                    "refuses it at create with \"the working directory 'app' is invalid, it "
                    'needs to be an absolute path"; give an absolute path such as /app.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "unknown-stop-signal",
        PROCESS,
        "bbox3",
        set_field("stopSignal", "SIGFOO"),
        (
            (
                (
                    'container "bbox3": stopSignal "SIGFOO" is not a signal; the engine refuses '
                    'it at create with "Invalid signal: SIGFOO"; give a signal name such as '
                    "SIGTERM (or SIGINT, SIGQUIT, SIGUSR1) or its number."
                ),
                "",
            ),
        ),
    ),
    Case(
        "stop-signal-with-newline",
        PROCESS,
        "bbox3",
        set_field("stopSignal", "SIGTERM\n"),
        (
            (
                (
                    'container "bbox3": stopSignal "SIGTERM\\n" is not a signal; the engine '
                    'refuses it at create with "Invalid signal: SIGTERM\\n"; give a signal name '
                    "such as SIGTERM (or SIGINT, SIGQUIT, SIGUSR1) or its number."
                ),
                "",
            ),
        ),
    ),
    Case(
        "stop-signal-zero",
        PROCESS,
        "bbox3",
        set_field("stopSignal", "0"),
        (
            (
                (
                    'container "bbox3": stopSignal "0" is not a signal; the engine refuses it at '
                    'create with "Invalid signal: 0"; give a signal name such as SIGTERM (or '
                    "SIGINT, SIGQUIT, SIGUSR1) or its number."
                ),
                "",
            ),
        ),
    ),
    Case(
        "empty-env-name",
        PROCESS,
        "bbox3",
        set_field("envs", ["=x"]),
        (
            (
                (
                    'container "bbox3": envs[0] "=x" has an empty variable name; the engine '
                    'refuses it at create with "invalid environment variable: =x"; name the '
                    "variable."
                ),
                "",
            ),
        ),
    ),
    Case(
        "nul-in-env-value",
        PROCESS,
        "bbox3",
        set_field("envs", ["A=b\x00c"]),
        (
            (
                (
                    'container "bbox3": envs[0] "A=b\\u0000c" has a NUL byte in its value; the '
                    'start fails with "environment variable value can\'t contain null(\\x00)"; '
                    "remove it."
                ),
                "",
            ),
        ),
    ),
    Case(
        "nul-in-env-name",
        PROCESS,
        "bbox3",
        set_field("envs", ["A\x00B=c"]),
        (
            (
                (
                    'container "bbox3": envs[0] "A\\u0000B=c" has a NUL byte in its name; the '
                    'start fails with "environment variable name can\'t contain null(\\x00)"; '
                    "remove it."
                ),
                "",
            ),
        ),
    ),
    Case(
        "nul-in-command",
        PROCESS,
        "bbox3",
        set_field("command", ["sh", "-c", "sleep 1\x00"]),
        (
            (
                (
                    'container "bbox3": command[2] "sleep 1\\u0000" holds a NUL byte, which no '
                    "program argument can carry; the engine accepts it and the start fails "
                    "(exec: invalid argument, or the program is not found); remove it."
                ),
                "",
            ),
        ),
    ),
    Case(
        "hostname-over-64",
        PROCESS,
        "bbox3",
        set_field("hostname", "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"),
        (
            (
                (
                    'container "bbox3": hostname '
                    '"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh" has 65 '
                    "characters, more than the kernel's 64; the start fails with \"sethostname: "
                    'invalid argument"; give a hostname of at most 64 characters.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "rm-with-restart",
        PROCESS,
        "bbox3",
        set_field("rm", True),
        (
            (
                (
                    'container "bbox3": rm is true with restart "unless-stopped"; the engine '
                    "refuses it at create with \"can't create 'AutoRemove' container with "
                    'restart policy"; drop rm, or set restart "no".'
                ),
                "",
            ),
        ),
    ),
    Case(
        "healthcheck-interval-below-1ms",
        HEALTHCHECK,
        "bboxes-bbox2",
        set_field("healthcheck.interval", "1us"),
        (
            (
                (
                    'container "bbox2": healthcheck.interval "1us" is below 1ms; the engine '
                    'refuses it at create with "Interval in Healthcheck cannot be less than '
                    '1ms"; give 1ms or more (or 0s for the default).'
                ),
                "",
            ),
        ),
    ),
    Case(
        "healthcheck-timeout-below-1ms",
        HEALTHCHECK,
        "bboxes-bbox2",
        set_field("healthcheck.timeout", "999us"),
        (
            (
                (
                    'container "bbox2": healthcheck.timeout "999us" is below 1ms; the engine '
                    'refuses it at create with "Timeout in Healthcheck cannot be less than 1ms"; '
                    "give 1ms or more (or 0s for the default)."
                ),
                "",
            ),
        ),
    ),
    Case(
        "healthcheck-start-period-negative",
        HEALTHCHECK,
        "bboxes-bbox2",
        set_field("healthcheck.startPeriod", "-1s"),
        (
            (
                (
                    'container "bbox2": healthcheck.startPeriod "-1s" is below 1ms; the engine '
                    'refuses it at create with "StartPeriod in Healthcheck cannot be less than '
                    '1ms"; give 1ms or more (or 0s for the default).'
                ),
                "",
            ),
        ),
    ),
    Case(
        "healthcheck-interval-with-newline",
        HEALTHCHECK,
        "bboxes-bbox2",
        set_field("healthcheck.interval", "10s\n"),
        (
            (
                (
                    'container "bbox2": healthcheck.interval "10s\\n" is not a duration; the '
                    "provider cannot parse it (time.ParseDuration); write it like 10s, 1m30s or "
                    "500ms."
                ),
                "",
            ),
        ),
    ),
    Case(
        "healthcheck-retries-negative",
        HEALTHCHECK,
        "bboxes-bbox2",
        set_field("healthcheck.retries", -1.0),
        (
            (
                (
                    'container "bbox2": healthcheck.retries -1 is negative; the engine refuses '
                    'it at create with "Retries in Healthcheck cannot be negative"; give 0 or '
                    "more."
                ),
                "",
            ),
        ),
    ),
    Case(
        "unknown-log-driver",
        LOGGING,
        "bbox3",
        set_field("logDriver", "bogus"),
        (
            (
                (
                    'container "bbox3": logDriver "bogus" is not a log driver engine 20.10 has; '
                    'the engine refuses it at create with "error looking up logging plugin '
                    'bogus: plugin "bogus" not found"; use one of awslogs, fluentd, gcplogs, '
                    "gelf, journald, json-file, local, logentries, none, splunk, syslog, or list "
                    "a log plugin installed on the engine in this policy's logPlugins config."
                ),
                "",
            ),
        ),
    ),
    Case(
        "log-driver-with-newline",
        LOGGING,
        "bbox3",
        set_field("logDriver", "json-file\n"),
        (
            (
                (
                    'container "bbox3": logDriver "json-file\\n" is not a log driver engine '
                    '20.10 has; the engine refuses it at create with "error looking up logging '
                    'plugin json-file\\n: plugin "json-file\\n" not found"; use one of awslogs, '
                    "fluentd, gcplogs, gelf, journald, json-file, local, logentries, none, "
                    "splunk, syslog, or list a log plugin installed on the engine in this "
                    "policy's logPlugins config."
                ),
                "",
            ),
        ),
    ),
    Case(
        "bad-log-max-size",
        LOGGING,
        "bbox3",
        both({"logDriver": "json-file", "logOpts": {"max-size": "abc"}}),
        (
            (
                (
                    'container "bbox3": logOpts max-size "abc" is not a size; the start fails '
                    "with \"failed to initialize logging driver: invalid size: 'abc'\"; write it "
                    "like 10m."
                ),
                "",
            ),
        ),
    ),
    Case(
        "unknown-log-option",
        LOGGING,
        "bbox3",
        both({"logDriver": "local", "logOpts": {"tag": "x"}}),
        (
            (
                (
                    'container "bbox3": logOpts "tag" is not an option of the local driver; the '
                    "engine refuses it at create with \"unknown log opt 'tag' for log driver "
                    'local"; use compress, max-buffer-size, max-file, max-size, mode.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "bad-log-mode",
        LOGGING,
        "bbox3",
        both({"logDriver": "syslog", "logOpts": {"mode": "bogus"}}),
        (
            (
                (
                    'container "bbox3": logOpts mode "bogus" is not a logging mode; the engine '
                    'refuses it at create with "logger: logging mode not supported: bogus"; use '
                    "blocking or non-blocking."
                ),
                "",
            ),
        ),
    ),
    Case(
        "log-compress-without-rotation",
        LOGGING,
        "bbox3",
        both({"logDriver": "json-file", "logOpts": {"max-size": "10m", "compress": "true"}}),
        (
            (
                (
                    'container "bbox3": logOpts compress "true" without max-file of 2 or more '
                    'and a max-size; the start fails with "failed to initialize logging driver: '
                    "compress cannot be true when max-file is less than 2 or max-size is not "
                    'set"; set both, or drop compress.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "log-max-file-zero",
        LOGGING,
        "bbox3",
        both({"logDriver": "json-file", "logOpts": {"max-file": "0"}}),
        (
            (
                (
                    'container "bbox3": logOpts max-file "0" is below 1; the start fails '
                    '("failed to initialize logging driver: ..."); give a count of 1 or more.'
                ),
                "",
            ),
        ),
    ),
    Case(
        "kernel-sysctl",
        SYSCTLS,
        "bbox3",
        set_field("sysctls", {"kernel.pid_max": "100000"}),
        (
            (
                (
                    'container "bbox3": sysctl "kernel.pid_max" cannot be set in the container; '
                    'the start fails with "sysctl "kernel.pid_max" is not in a separate kernel '
                    "namespace\"; set only parameters of the container's own namespaces (net.* "
                    "off the host's network; kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* "
                    "off the host's IPC namespace; kernel.domainname), and host-wide ones on the "
                    "host."
                ),
                "",
            ),
        ),
    ),
    Case(
        "vm-sysctl",
        SYSCTLS,
        "bbox3",
        set_field("sysctls", {"vm.swappiness": "10"}),
        (
            (
                (
                    'container "bbox3": sysctl "vm.swappiness" cannot be set in the container; '
                    'the start fails with "sysctl "vm.swappiness" is not in a separate kernel '
                    "namespace\"; set only parameters of the container's own namespaces (net.* "
                    "off the host's network; kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* "
                    "off the host's IPC namespace; kernel.domainname), and host-wide ones on the "
                    "host."
                ),
                "",
            ),
        ),
    ),
    Case(
        "kernel-hostname-sysctl",
        SYSCTLS,
        "bbox3",
        set_field("sysctls", {"kernel.hostname": "x"}),
        (
            (
                (
                    'container "bbox3": sysctl "kernel.hostname" cannot be set in the container; '
                    'the start fails with "sysctl "kernel.hostname" is not allowed as it '
                    'conflicts with the OCI "hostname" field"; set only parameters of the '
                    "container's own namespaces (net.* off the host's network; kernel.shm*, "
                    "kernel.msg*, kernel.sem, fs.mqueue.* off the host's IPC namespace; "
                    "kernel.domainname), and host-wide ones on the host."
                ),
                "",
            ),
        ),
    ),
    Case(
        "net-sysctl-on-host-network",
        SYSCTLS,
        "bbox3",
        both(
            {
                "networkMode": "host",
                "networksAdvanced": [],
                "sysctls": {"net.core.somaxconn": "1024"},
            }
        ),
        (
            (
                (
                    'container "bbox3": sysctl "net.core.somaxconn" cannot be set in the '
                    'container; the start fails with "sysctl "net.core.somaxconn" not allowed in '
                    "host network namespace\"; set only parameters of the container's own "
                    "namespaces (net.* off the host's network; kernel.shm*, kernel.msg*, "
                    "kernel.sem, fs.mqueue.* off the host's IPC namespace; kernel.domainname), "
                    "and host-wide ones on the host."
                ),
                "",
            ),
        ),
    ),
    Case(
        "bind-source-on-the-host",
        HOST_SOURCES,
        "bbox3",
        set_field("mounts", [{"type": "bind", "source": "/srv/missing", "target": "/data"}]),
        (
            (
                'container "bbox3": mounts[0] binds the host path "/srv/missing", which must '
                "exist on the engine's host when the container is created (the pack cannot see "
                'that host); the engine refuses a missing one with "invalid mount config for '
                'type "bind": bind source path does not exist: /srv/missing"; create it first, '
                "or bind it through volumes (hostPath), which creates a missing folder.",
                "",
            ),
        ),
    ),
    Case(
        "device-on-the-host",
        HOST_SOURCES,
        "bbox3",
        set_field("devices", [{"hostPath": "/dev/missing"}]),
        (
            (
                'container "bbox3": devices[0] "/dev/missing" must exist on the engine\'s host '
                '(the pack cannot see that host); the start fails without it: "error gathering '
                'device information while adding custom device "/dev/missing": no such file or '
                'directory".',
                "",
            ),
        ),
    ),
    Case(
        "user-and-group-by-name",
        IMAGE_USER,
        "bbox3",
        set_field("user", "app:staff"),
        (
            (
                'container "bbox3": user "app" is a name, which the engine looks up in the '
                "image's /etc/passwd at start (the pack cannot see the image); without it the "
                'start fails with "unable to find user app: no matching entries in passwd '
                'file"; make sure the image has it, or give the number.',
                "",
            ),
            (
                'container "bbox3": group "staff" is a name, which the engine looks up in the '
                "image's /etc/group at start (the pack cannot see the image); without it the "
                'start fails with "unable to find group staff: no matching entries in group '
                'file"; make sure the image has it, or give the number.',
                "",
            ),
        ),
    ),
]
