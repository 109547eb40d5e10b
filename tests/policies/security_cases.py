"""The failing (and passing) cases of the security and host access rules.

Each case starts from `compliant_stack()` and changes one field of one resource (a few also add
the resource the change points at: the container whose volumes another takes, the volume a
mount names); `expected` is every message the rule must report, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.rules.vocabulary import (
    DOCKER_SERVICE_TYPE,
    ENGINE_DEFAULT_CAPABILITIES,
    LABEL_PRESET,
    MONITOR_CAPABILITIES,
    PRESET_MONITOR,
    VOLUME_TYPE,
)
from tests.pack_client import Resource
from tests.policies.policy_cases import (
    CONTAINER,
    Case,
    _container,
    set_field,
    urn,
)

HOST_NETWORK = "docker-container-disallow-host-network"
NAMESPACES = "docker-container-disallow-host-namespaces"
USERNS = "docker-container-disallow-host-user-namespace"
PRIVILEGED = "docker-container-disallow-privileged"
CAPABILITIES = "docker-container-enforce-allowed-capabilities"
UNKNOWN_CAPABILITY = "docker-container-disallow-unknown-capability"
VALID_SECURITY_OPT = "docker-container-enforce-valid-security-opt"
UNCONFINED = "docker-container-disallow-unconfined-security-opt"
BIND_ADDRESS = "docker-container-enforce-port-bind-address"
SOCKET = "docker-container-disallow-docker-socket-mount"
WRITABLE_SYSTEM = "docker-container-disallow-writable-host-system-mount"
READ_ONLY_SYSTEM = "docker-container-disallow-read-only-host-system-mount"
DISK = "docker-container-disallow-host-disk-device"

PROCESS_ROOT = "docker-container-disallow-process-root-mount"

VOLUME = VOLUME_TYPE
SERVICE = DOCKER_SERVICE_TYPE


@dataclass(frozen=True)
class StackCase(Case):
    """A case whose change also needs resources the compliant stack does not have."""

    added: tuple[Resource, ...] = ()
    """Resources added to the stack."""

    def resources(self) -> list[Resource]:
        return [*super().resources(), *self.added]


def holder_container(**props: Any) -> Resource:
    """A container named "holder" whose volumes another container takes."""
    return Resource(
        CONTAINER,
        "holder",
        urn(CONTAINER, "holder"),
        _container("holder", "static", "holder", command=["sleep", "3600"], **props),
    )


def bind_volume(name: str, device: str, flags: str = "bind") -> Resource:
    """A docker.Volume the local driver makes as a bind of `device`."""
    return Resource(
        VOLUME,
        f"{name}-volume",
        urn(VOLUME, f"{name}-volume"),
        {
            "name": name,
            "driver": "local",
            "driverOpts": {"type": "none", "o": flags, "device": device},
        },
    )


def _labelled_monitor(**props: Any) -> Any:
    """A mutation that labels a container as the monitor preset does and sets `props`."""

    def change(target: dict[str, Any]) -> None:
        target["labels"] = [*target["labels"], {"label": LABEL_PRESET, "value": PRESET_MONITOR}]
        target.update(props)

    return change


def service(name: str, **container_spec: Any) -> Resource:
    """A swarm service whose `taskSpec.containerSpec` has `container_spec`."""
    return Resource(
        SERVICE,
        f"{name}-service",
        urn(SERVICE, f"{name}-service"),
        {
            "name": name,
            "mode": {"replicated": {"replicas": 1.0}},
            "taskSpec": {"containerSpec": {"image": "httpd:2.4", **container_spec}},
        },
    )


def _volumes(*entries: Mapping[str, Any]) -> Any:
    return set_field("volumes", [dict(e) for e in entries])


def _mounts(*entries: Mapping[str, Any]) -> Any:
    return set_field("mounts", [dict(e) for e in entries])


def _capability(name: str, capability: str, allowed: str = "none") -> str:
    return (
        f'container "{name}": capabilities.adds has "{capability}", which Docker does not give '
        f"by default and which is not allowed here (allowed beyond the default set: {allowed}); "
        "drop it, or list it in this policy's allowedCapabilities config."
    )


def _unknown_capability(key: str, value: str, engine: str) -> str:
    engine_key = "CapAdd" if key == "adds" else "CapDrop"
    return (
        f'container "bbox1": capabilities.{key} has "{value}", which is not a capability the '
        f'engine knows; it refuses the container with "invalid {engine_key}: unknown capability: '
        f'"{engine}""; write a Linux capability name such as NET_ADMIN (engine 20.10 does not '
        "know PERFMON, BPF and CHECKPOINT_RESTORE; list them in this policy's "
        "extraKnownCapabilities config for a newer engine)."
    )


def _socket(
    origin: str,
    holds: str = "",
    *,
    name: str = "bbox1",
    what: str = "the Docker engine's socket",
    control: str = "the engine",
    subject: str = "container",
) -> str:
    held = f" (it holds {holds})" if holds else ""
    return (
        f'{subject} "{name}": {origin} gives the container {what}{held}, and with it control of '
        f"{control} and of the host, read-only or not; remove the mount."
    )


CONTAINERD = "containerd's socket (the runtime below the Docker engine)"


def _host_socket(origin: str, what: str) -> str:
    return (
        f'container "bbox1": {origin} gives the container {what}, which answers to whoever '
        "connects with what that host service may do as root, read-only or not; remove the "
        "mount, or list the socket in this policy's allowedHostSockets config if its service "
        "hands out nothing of the host."
    )


def _process_root(origin: str, root: str, name: str = "bbox1") -> str:
    return (
        f'container "{name}": {origin} lies under {root}, the root folder of another process; '
        "the engine makes its mounts inside the container's own mount namespace, where that "
        'link does not resolve, and the container fails at start ("error mounting '
        f'"{root}" to rootfs ...: invalid argument"); mount the host path itself if the '
        "container must see it."
    )


def _writable(origin: str, shown: str, name: str = "bbox1", subject: str = "container") -> str:
    return (
        f'{subject} "{name}": {origin} mounts {shown} writable, so the container can take the '
        "host over by writing there; mount only the files the container needs, read-only where "
        "it can."
    )


def _read_only(origin: str, shown: str, name: str = "bbox1") -> str:
    return (
        f'container "{name}": {origin} mounts {shown} read-only, which still shows the '
        "container everything the host keeps there; mount only the files the container needs."
    )


def _disk(index: int, path: str, what: str = "a host disk device") -> str:
    return (
        f'container "bbox1": devices[{index}].hostPath "{path}" passes {what} into the '
        "container, which then reads the host's disk below every file permission (and writes "
        "it, given w); remove the device, and mount only the folders the container needs."
    )


def _cgroup_rule(rule: str, which: str = "host block devices") -> str:
    return (
        f'container "bbox1": deviceCgroupRules has "{rule}", which opens {which} to the '
        "container; with the MKNOD capability Docker gives by default it creates a node for the "
        "host's disk and reads it; remove the rule, and pass only the devices it needs with "
        "devices."
    )


def _security_opt(option: str, refusal: str, fix: str = "") -> str:
    fix = fix or (
        "write no-new-privileges[=<bool>], seccomp=unconfined (or a profile's JSON), "
        "apparmor=<profile> or label=<option>"
    )
    return (
        f'container "bbox1": securityOpts has "{option}", which the engine refuses {refusal}; '
        f"{fix}."
    )


def _unconfined(option: str, reason: str) -> str:
    return (
        f'container "bbox1": securityOpts "{option}" {reason}; remove it, or give a profile that '
        "allows only what the container needs."
    )


SECCOMP = (
    "runs the container without a seccomp filter: every system call the kernel has, user "
    "namespaces (unshare) among them, which Docker's default profile refuses"
)
SELINUX = "runs the container without SELinux separation on hosts that use it"
EMPTY_PROFILE = (
    "is a seccomp profile without a rule whose default action lets every call through (the "
    "engine runs a container given {} with no filter at all: Seccomp 0), as open as "
    "seccomp=unconfined"
)


def _port(address: str = "0.0.0.0", allowed: str = "127.0.0.1, ::1") -> str:
    return (
        f'container "web1": port 80 is published on {address} (all host interfaces: what Docker '
        "and compose do with a port that names no address); bind it to an allowed address "
        f"({allowed}) with the port's ip, or list the address in this policy's "
        "allowedBindAddresses config."
    )


ETC = "the host's /etc (the host's configuration: users, passwords, sudoers, cron)"
ROOT = "the host's / (the whole host filesystem)"
SOCKET_AT = {"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"}

SECURITY_CASES: list[Case] = [
    Case(
        "host-network",
        HOST_NETWORK,
        "bboxes-bbox1",
        set_field("networkMode", "host"),
        (
            (
                'container "bbox1": network mode "host" shares the Docker host\'s network stack '
                "with the container; attach it to a user-defined network and publish only the "
                "ports it needs.",
                "",
            ),
        ),
    ),
    # Host namespaces beyond the network.
    Case(
        "pid-host",
        NAMESPACES,
        "bboxes-bbox1",
        set_field("pidMode", "host"),
        (
            (
                'container "bbox1": pidMode "host" shares the host\'s process namespace: the '
                "container sees every host process and, with the KILL capability Docker gives by "
                "default, can kill any of them; remove pidMode, or share another container's "
                "with container:<name>.",
                "",
            ),
        ),
    ),
    Case(
        "ipc-host",
        NAMESPACES,
        "bboxes-bbox1",
        set_field("ipcMode", "host"),
        (
            (
                'container "bbox1": ipcMode "host" shares the host\'s IPC namespace and /dev/shm: '
                "the container reads and writes the shared memory of every host process; remove "
                'ipcMode, or give one container "shareable" and the others container:<name>.',
                "",
            ),
        ),
    ),
    Case(
        "pid-of-another-container",
        NAMESPACES,
        "bboxes-bbox1",
        set_field("pidMode", "container:bbox2"),
        (),
    ),
    Case("ipc-shareable", NAMESPACES, "bboxes-bbox1", set_field("ipcMode", "shareable"), ()),
    Case(
        "userns-host",
        USERNS,
        "bboxes-bbox1",
        set_field("usernsMode", "host"),
        (
            (
                'container "bbox1": usernsMode "host" takes the container out of the engine\'s '
                "user namespace remapping (userns-remap): where the engine remaps, root in this "
                "container is root on the host (without remapping every container already runs "
                "so); remove usernsMode.",
                "",
            ),
        ),
    ),
    Case(
        "privileged",
        PRIVILEGED,
        "bboxes-bbox1",
        set_field("privileged", True),
        (
            (
                'container "bbox1": privileged true gives the container every capability and all '
                "host devices; set privileged false and add only the capabilities it needs.",
                "",
            ),
        ),
    ),
    # Capabilities: beyond the default set only what is allowed; names the engine knows.
    Case(
        "capability-outside-allowlist",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["SYS_ADMIN"]}),
        ((_capability("bbox1", "SYS_ADMIN"), ""),),
    ),
    Case(
        "capability-all",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["ALL"]}),
        ((_capability("bbox1", "ALL"), ""),),
    ),
    Case(
        "capability-in-allowlist",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["CAP_SYS_ADMIN"]}),
        (),
        config={"allowedCapabilities": ["sys_admin"]},
    ),
    Case(
        "default-capabilities-added",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field(
            "capabilities",
            {"adds": [*sorted(ENGINE_DEFAULT_CAPABILITIES), "cap_chown", "net_raw", "CAP_KILL"]},
        ),
        (),
    ),
    Case(
        "drop-all-add-back-defaults",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"drops": ["ALL"], "adds": ["CHOWN", "SETUID", "SETGID"]}),
        (),
    ),
    Case(
        "capability-of-later-engines",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["perfmon"]}),
        ((_capability("bbox1", "perfmon"), ""),),  # an escalation whichever engine knows it
    ),
    Case(
        "unknown-name-is-the-unknown-capability-rules",
        CAPABILITIES,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["FOO"]}),
        (),
    ),
    Case(
        "monitor-label-grants-nothing",
        CAPABILITIES,
        "bboxes-bbox1",
        _labelled_monitor(capabilities={"adds": ["NET_ADMIN"]}),
        ((_capability("bbox1", "NET_ADMIN"), ""),),
    ),
    Case(
        "monitor-capabilities-outside-a-joined-namespace",
        CAPABILITIES,
        "web-web1-monitor",
        set_field("networkMode", "bridge"),
        ((_capability("web1-monitor", "NET_ADMIN"), ""),),  # NET_RAW is in the default set
    ),
    Case(
        "monitor-capabilities-in-a-joined-namespace-without-the-label",
        CAPABILITIES,
        "web-web1-shell",
        set_field("capabilities", {"adds": list(MONITOR_CAPABILITIES)}),
        (),
    ),
    StackCase(
        "capability-added-to-a-service",
        CAPABILITIES,
        "bboxes-bbox1",
        lambda props: None,
        (
            (
                'service "api": taskSpec.containerSpec.capAdds has "SYS_ADMIN", which Docker does '
                "not give by default and which is not allowed here (allowed beyond the default "
                "set: none); drop it, or list it in this policy's allowedCapabilities config.",
                "",
            ),
        ),
        added=(service("api", capAdds=["CHOWN", "SYS_ADMIN"]),),
    ),
    Case(
        "unknown-capability-added",
        UNKNOWN_CAPABILITY,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["FOO", "net_admin", "PERFMON"]}),
        (
            (_unknown_capability("adds", "FOO", "CAP_FOO"), ""),
            (_unknown_capability("adds", "PERFMON", "CAP_PERFMON"), ""),
        ),
    ),
    Case(
        "unknown-capability-dropped",
        UNKNOWN_CAPABILITY,
        "bboxes-bbox1",
        set_field("capabilities", {"drops": ["cap_bar", "ALL"]}),
        ((_unknown_capability("drops", "cap_bar", "CAP_BAR"), ""),),
    ),
    Case(
        "capability-with-space",
        UNKNOWN_CAPABILITY,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": [" NET_ADMIN"]}),
        ((_unknown_capability("adds", " NET_ADMIN", "CAP_ NET_ADMIN"), ""),),
    ),
    Case(
        "capability-of-a-newer-engine",
        UNKNOWN_CAPABILITY,
        "bboxes-bbox1",
        set_field("capabilities", {"adds": ["PERFMON"]}),
        (),
        config={"extraKnownCapabilities": ["CAP_PERFMON"]},
    ),
    # Security options: what the engine refuses, and what drops confinement.
    Case(
        "security-opts-the-engine-refuses",
        VALID_SECURITY_OPT,
        "bboxes-bbox1",
        set_field(
            "securityOpts",
            ["no-new-privileges", "foo", "foo=bar", "no-new-privileges=yes", "label:disable"],
        ),
        (
            (_security_opt("foo", 'at create with "invalid --security-opt 1: "foo""'), ""),
            (_security_opt("foo=bar", 'at create with "invalid --security-opt 2: "foo=bar""'), ""),
            (
                _security_opt(
                    "no-new-privileges=yes",
                    'at create with "invalid --security-opt 2: "no-new-privileges=yes""',
                ),
                "",
            ),
        ),
    ),
    Case(
        "systempaths-through-the-api",
        VALID_SECURITY_OPT,
        "bboxes-bbox1",
        set_field("securityOpts", ["systempaths=unconfined"]),
        (
            (
                _security_opt(
                    "systempaths=unconfined",
                    'at create with "invalid --security-opt 2: "systempaths=unconfined""',
                    "the docker CLI turns systempaths=unconfined into empty masked and read-only "
                    "path lists itself, which pulumi-docker does not; remove it",
                ),
                "",
            ),
        ),
    ),
    Case(
        "seccomp-profile-file-name",
        VALID_SECURITY_OPT,
        "bboxes-bbox1",
        set_field("securityOpts", ["seccomp=/etc/docker/seccomp.json"]),
        (
            (
                _security_opt(
                    "seccomp=/etc/docker/seccomp.json",
                    "at start with \"Decoding seccomp profile failed: invalid character '/' "
                    'looking for beginning of value"',
                    "the engine takes the profile's JSON itself, not a file name (the docker CLI "
                    "reads the file, pulumi-docker does not); give the file's contents, or "
                    '"unconfined"',
                ),
                "",
            ),
        ),
    ),
    Case(
        "security-opts-the-engine-accepts",
        VALID_SECURITY_OPT,
        "bboxes-bbox1",
        set_field(
            "securityOpts",
            [
                "no-new-privileges:true",
                "seccomp=unconfined",
                'seccomp={"defaultAction": "SCMP_ACT_ERRNO"}',
                "apparmor=docker-default",
                "label=disable",
                "disable",
            ],
        ),
        (),
    ),
    Case(
        "unconfined-security-opts",
        UNCONFINED,
        "bboxes-bbox1",
        set_field(
            "securityOpts",
            ["no-new-privileges", "seccomp:unconfined", "apparmor=unconfined", "label=disable"],
        ),
        (
            (_unconfined("seccomp:unconfined", SECCOMP), ""),
            (
                _unconfined(
                    "apparmor=unconfined",
                    "runs the container without an AppArmor profile on hosts that use one",
                ),
                "",
            ),
            (_unconfined("label=disable", SELINUX), ""),
        ),
    ),
    Case(
        "seccomp-profiles-that-filter-nothing",
        UNCONFINED,
        "bboxes-bbox1",
        set_field(
            "securityOpts",
            [
                "seccomp={}",
                'seccomp:{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}',
                'seccomp={"defaultAction": "SCMP_ACT_ERRNO"}',
                'seccomp={"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], '
                '"action": "SCMP_ACT_ERRNO"}]}',
            ],
        ),
        (
            (_unconfined("seccomp={}", EMPTY_PROFILE), ""),
            (
                _unconfined(
                    'seccomp:{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}', EMPTY_PROFILE
                ),
                "",
            ),
        ),
    ),
    # Ports: compose's default, all interfaces, is advice only.
    Case(
        "port-on-all-interfaces",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0.ip", "0.0.0.0"),
        ((_port(), ""),),
    ),
    Case(
        "port-without-ip",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0", {"internal": 80.0, "external": 8080.0}),
        ((_port(), ""),),
    ),
    Case(
        "port-on-configured-address",
        BIND_ADDRESS,
        "web-web1",
        set_field("ports.0.ip", "0.0.0.0"),
        (),
        config={"allowedBindAddresses": ["0.0.0.0"]},
    ),
    # The Docker socket, by any mount form.
    Case(
        "socket-volume",
        SOCKET,
        "bboxes-bbox1",
        _volumes(SOCKET_AT),
        ((_socket('volumes[0].hostPath "/var/run/docker.sock"'), "bboxes-bbox1"),),
    ),
    Case(
        "socket-volume-name-is-a-path",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"volumeName": "/run/docker.sock", "containerPath": "/docker.sock"}),
        ((_socket('volumes[0].volumeName "/run/docker.sock"'), "bboxes-bbox1"),),
    ),
    Case(
        "socket-read-only",
        SOCKET,
        "bboxes-bbox1",
        _volumes({**SOCKET_AT, "readOnly": True}),
        ((_socket('volumes[0].hostPath "/var/run/docker.sock"'), "bboxes-bbox1"),),
    ),
    Case(
        "socket-bind-mount-of-run",
        SOCKET,
        "bboxes-bbox1",
        _mounts({"source": "/run/", "target": "/host-run", "type": "bind"}),
        ((_socket('mounts[0].source "/run/"', "/run/docker.sock"), "bboxes-bbox1"),),
    ),
    Case(
        "socket-path-with-dot-dot",
        SOCKET,
        "bboxes-bbox1",
        _mounts(
            {"source": "/var/run/../run/docker.sock", "target": "/docker.sock", "type": "bind"}
        ),
        ((_socket('mounts[0].source "/var/run/../run/docker.sock"'), "bboxes-bbox1"),),
    ),
    Case(
        "socket-folder-with-double-slash",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "//var//run/", "containerPath": "/host-run", "readOnly": True}),
        ((_socket('volumes[0].hostPath "//var//run/"', "/var/run/docker.sock"), "bboxes-bbox1"),),
    ),
    Case(
        "socket-under-root",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/", "containerPath": "/host", "readOnly": True}),
        ((_socket('volumes[0].hostPath "/"', "/var/run/docker.sock"), "bboxes-bbox1"),),
    ),
    Case(
        "socket-inline-bind-volume",
        SOCKET,
        "bboxes-bbox1",
        _mounts(
            {
                "type": "volume",
                "source": "engine",
                "target": "/engine",
                "volumeOptions": {
                    "driverName": "local",
                    "driverOptions": {"type": "none", "o": "bind", "device": "/var/run"},
                },
            }
        ),
        (
            (
                _socket(
                    'mounts[0].volumeOptions.driverOptions.device "/var/run"',
                    "/var/run/docker.sock",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    StackCase(
        "socket-named-bind-volume",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"volumeName": "engine", "containerPath": "/engine", "readOnly": True}),
        (
            (
                _socket(
                    'volumes[0].volumeName "engine" (docker.Volume "engine-volume", whose '
                    'driverOpts bind the host path "/run")',
                    "/run/docker.sock",
                ),
                "bboxes-bbox1",
            ),
        ),
        added=(bind_volume("engine", "/run"),),
    ),
    StackCase(
        "socket-volumes-from",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"fromContainer": "holder:ro"}),
        (
            (
                _socket(
                    'volumes[0].fromContainer "holder:ro" (container "holder"\'s '
                    'volumes[0].hostPath "/var/run/docker.sock")'
                ),
                "bboxes-bbox1",
            ),
            (_socket('volumes[0].hostPath "/var/run/docker.sock"', name="holder"), "holder"),
        ),
        added=(holder_container(volumes=[SOCKET_AT]),),
    ),
    Case(
        "socket-named-docker-sock-elsewhere",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/run/user/1000/docker.sock", "containerPath": "/docker.sock"}),
        ((_socket('volumes[0].hostPath "/run/user/1000/docker.sock"'), "bboxes-bbox1"),),
    ),
    Case(
        "socket-of-containerd",
        SOCKET,
        "bboxes-bbox1",
        _mounts(
            {
                "type": "bind",
                "source": "/run/containerd/containerd.sock",
                "target": "/run/containerd/containerd.sock",
                "readOnly": True,
            }
        ),
        (
            (
                _socket(
                    'mounts[0].source "/run/containerd/containerd.sock"',
                    what=CONTAINERD,
                    control="containers",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "socket-folder-of-containerd",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var/run/containerd", "containerPath": "/c", "readOnly": True}),
        (
            (
                _socket(
                    'volumes[0].hostPath "/var/run/containerd"',
                    "/run/containerd/containerd.sock",
                    what=CONTAINERD,
                    control="containers",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "socket-of-crio-and-podman-anywhere",
        SOCKET,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/var/run/crio/crio.sock", "containerPath": "/crio.sock"},
            {"hostPath": "/srv/podman/podman.sock", "containerPath": "/podman.sock"},
        ),
        (
            (
                _socket(
                    'volumes[0].hostPath "/var/run/crio/crio.sock"',
                    what="CRI-O's socket",
                    control="containers",
                ),
                "bboxes-bbox1",
            ),
            (
                _socket(
                    'volumes[1].hostPath "/srv/podman/podman.sock"',
                    what="Podman's socket",
                    control="containers",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "socket-of-a-host-service",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var/run/mysqld/mysqld.sock", "containerPath": "/mysqld.sock"}),
        (
            (
                _host_socket(
                    'volumes[0].hostPath "/var/run/mysqld/mysqld.sock"',
                    'the host service socket "/var/run/mysqld/mysqld.sock"',
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "socket-of-systemd-and-d-bus",
        SOCKET,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/run/systemd", "containerPath": "/systemd", "readOnly": True},
            {"hostPath": "/var/run/dbus/system_bus_socket", "containerPath": "/bus"},
        ),
        (
            (
                _host_socket(
                    'volumes[0].hostPath "/run/systemd"',
                    "systemd's private socket (it holds /run/systemd/private)",
                ),
                "bboxes-bbox1",
            ),
            (
                _host_socket(
                    'volumes[1].hostPath "/var/run/dbus/system_bus_socket"',
                    "the system D-Bus socket",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "socket-of-a-host-service-allowed",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var/run/mysqld/mysqld.sock", "containerPath": "/mysqld.sock"}),
        (),
        config={"allowedHostSockets": ["/run/mysqld/mysqld.sock"]},
    ),
    Case(
        "socket-through-the-engines-own-root",
        SOCKET,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/proc/self/root", "containerPath": "/host", "readOnly": True},
            {"hostPath": "/proc/thread-self/root/run/docker.sock", "containerPath": "/d.sock"},
            {"hostPath": "/proc/self/task/7/root/proc/self/root/run", "containerPath": "/r"},
        ),
        (
            (
                _socket('volumes[0].hostPath "/proc/self/root"', "/var/run/docker.sock"),
                "bboxes-bbox1",
            ),
            (
                _socket('volumes[1].hostPath "/proc/thread-self/root/run/docker.sock"'),
                "bboxes-bbox1",
            ),
            (
                _socket(
                    'volumes[2].hostPath "/proc/self/task/7/root/proc/self/root/run"',
                    "/run/docker.sock",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    StackCase(
        "socket-in-a-service",
        SOCKET,
        "bboxes-bbox1",
        lambda props: None,
        (
            (
                _socket(
                    'taskSpec.containerSpec.mounts[0].source "/var/run/docker.sock"',
                    name="api",
                    subject="service",
                ),
                "api-service",
            ),
        ),
        added=(
            service(
                "api",
                mounts=[{"type": "bind", "source": "/var/run/docker.sock", "target": "/d.sock"}],
            ),
        ),
    ),
    Case(
        "socket-configured-path",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/srv/engine", "containerPath": "/engine"}),
        (
            (
                _socket('volumes[0].hostPath "/srv/engine"', "/srv/engine/engine.sock"),
                "bboxes-bbox1",
            ),
        ),
        config={"engineSockets": ["/srv/engine/engine.sock"]},
    ),
    Case(
        "var-does-not-hold-the-socket",
        SOCKET,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var", "containerPath": "/host-var", "readOnly": True}),
        (),  # /var/run is a link to /run: the mount shows the link, not the socket
    ),
    Case(
        "project-files",
        SOCKET,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/srv/app/nginx.conf", "containerPath": "/etc/nginx/nginx.conf"},
            {"hostPath": "/srv/app/data", "containerPath": "/var/lib/mysql"},
            {"volumeName": "db-data", "containerPath": "/data"},
        ),
        (),
    ),
    # Host system folders: writable takes the host over, read-only shows it.
    Case(
        "writable-etc",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/etc", "containerPath": "/host-etc"}),
        ((_writable('volumes[0].hostPath "/etc"', ETC), "bboxes-bbox1"),),
    ),
    Case(
        "writable-root",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _mounts({"type": "bind", "source": "/", "target": "/host"}),
        ((_writable('mounts[0].source "/"', ROOT), "bboxes-bbox1"),),
    ),
    Case(
        "writable-proc-through-an-inline-volume",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _mounts(
            {
                "type": "volume",
                "source": "proc",
                "target": "/host-proc",
                "volumeOptions": {
                    "driverOptions": {"type": "none", "o": "bind", "device": "/proc"}
                },
            }
        ),
        (
            (
                _writable(
                    'mounts[0].volumeOptions.driverOptions.device "/proc"',
                    "the host's /proc (the host's processes and kernel settings)",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "writable-folder-holding-docker-data",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var/", "containerPath": "/host-var"}),
        (
            (
                _writable(
                    'volumes[0].hostPath "/var/"',
                    "/var, which holds the host's /var/lib/docker (the Docker engine's data: "
                    "every container's files and images)",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "read-only-etc-is-not-writable",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/etc", "containerPath": "/host-etc", "readOnly": True}),
        (),
    ),
    StackCase(
        "writable-etc-through-volumes-from",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"fromContainer": "holder"}),
        (
            (
                _writable(
                    'volumes[0].fromContainer "holder" (container "holder"\'s mounts[0].source '
                    '"/etc")',
                    ETC,
                ),
                "bboxes-bbox1",
            ),
            (_writable('mounts[0].source "/etc"', ETC, name="holder"), "holder"),
        ),
        added=(
            holder_container(mounts=[{"type": "bind", "source": "/etc", "target": "/host-etc"}]),
        ),
    ),
    StackCase(
        "read-only-bind-volume-is-not-writable",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"volumeName": "etc", "containerPath": "/host-etc"}),
        (),
        added=(bind_volume("etc", "/etc", "bind,ro"),),
    ),
    Case(
        "file-under-etc",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/etc/localtime", "containerPath": "/etc/localtime"}),
        (),
    ),
    Case(
        "writable-folders-inside-system-folders",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/etc/cron.d", "containerPath": "/cron"},
            {"hostPath": "/proc/sys/kernel/core_pattern", "containerPath": "/core_pattern"},
            {"hostPath": "/sys/fs/cgroup", "containerPath": "/cgroup", "readOnly": True},
            {"hostPath": "/dev/null", "containerPath": "/app/config"},
            {"hostPath": "/usr/local/bin", "containerPath": "/tools"},
            {"hostPath": "/usr/local/share/app", "containerPath": "/share"},
            {"hostPath": "/dev/bus/usb", "containerPath": "/dev/bus/usb"},
            {"hostPath": "/dev/shm", "containerPath": "/dev/shm"},
        ),
        (
            (
                _writable(
                    'volumes[0].hostPath "/etc/cron.d"',
                    "/etc/cron.d, inside the host's /etc (the host's configuration: users, "
                    "passwords, sudoers, cron),",
                ),
                "bboxes-bbox1",
            ),
            (
                _writable(
                    'volumes[1].hostPath "/proc/sys/kernel/core_pattern"',
                    "/proc/sys/kernel/core_pattern, inside the host's /proc (the host's "
                    "processes and kernel settings),",
                ),
                "bboxes-bbox1",
            ),
            (
                _writable(
                    'volumes[4].hostPath "/usr/local/bin"',
                    "/usr/local/bin, inside the host's /usr (the host's programs and libraries),",
                ),
                "bboxes-bbox1",
            ),
            (
                _writable(
                    'volumes[7].hostPath "/dev/shm"',
                    "/dev/shm, inside the host's /dev (the host's device nodes and shared memory),",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "writable-host-etc-through-the-parent-of-var-run",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/var/run/../etc", "containerPath": "/e"}),
        ((_writable('volumes[0].hostPath "/var/run/../etc"', ETC), "bboxes-bbox1"),),
    ),
    Case(
        "writable-harmless-path-configured",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/etc/cron.d", "containerPath": "/cron"},
            {"hostPath": "/etc/localtime", "containerPath": "/etc/localtime"},
        ),
        (
            (
                _writable(
                    'volumes[1].hostPath "/etc/localtime"',
                    "/etc/localtime, inside the host's /etc (the host's configuration: users, "
                    "passwords, sudoers, cron),",
                ),
                "bboxes-bbox1",
            ),
        ),
        config={"harmlessHostPaths": ["/etc/cron.d"]},
    ),
    Case(
        "writable-host-root-through-the-engines-own-root",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _mounts({"type": "bind", "source": "/proc/self/root/", "target": "/host"}),
        ((_writable('mounts[0].source "/proc/self/root/"', ROOT), "bboxes-bbox1"),),
    ),
    StackCase(
        "writable-system-folder-in-a-service",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        lambda props: None,
        (
            (
                _writable(
                    'taskSpec.containerSpec.mounts[0].source "/etc"',
                    ETC,
                    name="api",
                    subject="service",
                ),
                "api-service",
            ),
        ),
        added=(service("api", mounts=[{"type": "bind", "source": "/etc", "target": "/e"}]),),
    ),
    Case(
        "another-process-root",
        PROCESS_ROOT,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/proc/1234/root", "containerPath": "/host", "readOnly": True},
            {"hostPath": "/proc/1234/task/1240/root/etc", "containerPath": "/etc2"},
            {"hostPath": "/proc/self/root/etc/hostname", "containerPath": "/h", "readOnly": True},
        ),
        (
            (
                _process_root('volumes[0].hostPath "/proc/1234/root"', "/proc/1234/root"),
                "bboxes-bbox1",
            ),
            (
                _process_root(
                    'volumes[1].hostPath "/proc/1234/task/1240/root/etc"',
                    "/proc/1234/task/1240/root",
                ),
                "bboxes-bbox1",
            ),
        ),
    ),
    Case(
        "configured-system-folder",
        WRITABLE_SYSTEM,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/srv/secrets", "containerPath": "/secrets"},
            {"hostPath": "/etc", "containerPath": "/host-etc"},
        ),
        (
            (
                _writable(
                    'volumes[0].hostPath "/srv/secrets"',
                    "the host's /srv/secrets (a host system folder (hostSystemFolders))",
                ),
                "bboxes-bbox1",
            ),
        ),
        config={"hostSystemFolders": ["/srv/secrets/"]},
    ),
    Case(
        "read-only-etc",
        READ_ONLY_SYSTEM,
        "bboxes-bbox1",
        _volumes({"hostPath": "/etc", "containerPath": "/host-etc", "readOnly": True}),
        ((_read_only('volumes[0].hostPath "/etc"', ETC), "bboxes-bbox1"),),
    ),
    StackCase(
        "read-only-root-through-a-bind-volume",
        READ_ONLY_SYSTEM,
        "bboxes-bbox1",
        _mounts({"type": "volume", "source": "hostroot", "target": "/host"}),
        (
            (
                _read_only(
                    'mounts[0].source "hostroot" (docker.Volume "hostroot-volume", whose '
                    'driverOpts bind the host path "/")',
                    ROOT,
                ),
                "bboxes-bbox1",
            ),
        ),
        added=(bind_volume("hostroot", "/", "rbind,ro"),),
    ),
    Case(
        "read-only-file-under-etc",
        READ_ONLY_SYSTEM,
        "bboxes-bbox1",
        _volumes(
            {"hostPath": "/etc/localtime", "containerPath": "/etc/localtime", "readOnly": True}
        ),
        (),
    ),
    # Host disks.
    Case(
        "disk-devices",
        DISK,
        "bboxes-bbox1",
        set_field(
            "devices",
            [
                {"hostPath": "/dev/sda"},
                {"hostPath": "/dev/fuse"},
                {"hostPath": "/dev/nvme0n1p2", "containerPath": "/dev/disk", "permissions": "r"},
                {"hostPath": "/dev/net/tun"},
                {"hostPath": "/dev/mapper/root"},
            ],
        ),
        (
            (_disk(0, "/dev/sda"), ""),
            (_disk(2, "/dev/nvme0n1p2"), ""),
            (_disk(4, "/dev/mapper/root"), ""),
        ),
    ),
    Case(
        "disk-devices-through-links",
        DISK,
        "bboxes-bbox1",
        set_field(
            "devices",
            [
                {"hostPath": "/dev/block/8:0"},
                {"hostPath": "/dev/vg0/root"},
                {"hostPath": "/dev/disk/by-uuid/0b1c"},
                {"hostPath": "/dev/md/raid1"},
                {"hostPath": "/dev/net/tun"},
                {"hostPath": "/dev/input/event0"},
            ],
        ),
        (
            (_disk(0, "/dev/block/8:0"), ""),
            (
                _disk(
                    1,
                    "/dev/vg0/root",
                    "a host disk device (the path of a logical volume, /dev/<group>/<volume>)",
                ),
                "",
            ),
            (_disk(2, "/dev/disk/by-uuid/0b1c"), ""),
            (_disk(3, "/dev/md/raid1"), ""),
        ),
    ),
    Case(
        "every-device",
        DISK,
        "bboxes-bbox1",
        set_field("devices", [{"hostPath": "/dev/"}]),
        ((_disk(0, "/dev/", "every host device, the host's disks among them,"), ""),),
    ),
    Case(
        "device-cgroup-rules",
        DISK,
        "bboxes-bbox1",
        set_field("deviceCgroupRules", ["c 10:229 rwm", "b 7:* rwm", "a *:* rwm"]),
        (
            (_cgroup_rule("b 7:* rwm"), ""),
            (_cgroup_rule("a *:* rwm", "every host device"), ""),
        ),
    ),
    Case(
        "character-devices",
        DISK,
        "bboxes-bbox1",
        set_field("devices", [{"hostPath": "/dev/fuse"}, {"hostPath": "/dev/dri/renderD128"}]),
        (),
    ),
]
"""Every case of the security and host access rules."""
