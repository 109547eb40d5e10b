"""The swarm rules: a compliant swarm stack passes every rule, and each one-field change gives
exactly its message, directly and through the pack's process, as the offline gate asks it."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies.rules import POLICIES
from policies.rules.swarm import SWARM_POLICIES
from tests.pack_client import PackClient, Resource
from tests.policies.hygiene_cases import (
    CAPABILITY_DROP,
    HARDENING,
    IMAGE_DIGEST,
    MEMORY_LIMIT,
    NO_NEW_PRIVILEGES,
    READ_ONLY_ROOT,
    summary,
)
from tests.policies.policy_cases import (
    BUSYBOX,
    BY_NAME,
    CONTAINER,
    HARDENED,
    HTTPD,
    NETWORK,
    STACK,
    UNKNOWN,
    Mutation,
    level_name,
    mutated,
    named,
    run_direct,
    set_field,
    urn,
)

SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"

STATIC_IP = "docker-service-disallow-static-ip"
JOINED_MODE = "docker-service-disallow-joined-network-mode"
ATTACHABLE = "docker-container-require-attachable-overlay"
OVERLAY_ONLY = "docker-service-require-overlay-network"
OVERLAY_OVERLAP = "docker-network-disallow-overlapping-overlay-subnets"
HOST_PORTS = "docker-service-disallow-host-ports-beyond-nodes"
SECRET_ENV = "docker-service-disallow-secret-in-env"
SERVICE_NAME = "docker-service-enforce-valid-name"
REPLICAS = "docker-service-enforce-valid-replicas"
MEMORY = "docker-service-enforce-valid-memory-limit"
DNSRR_INGRESS = "docker-service-disallow-ingress-port-with-dnsrr"
INGRESS_TWICE = "docker-service-disallow-duplicate-ingress-port"
RPC = "rpc error: code = InvalidArgument desc = "
UINT64 = "Go struct field ReplicatedService.Mode.Replicated.Replicas of type uint64"
LOCAL_OVERLAP = "docker-network-disallow-overlapping-subnets"

FRONT = urn(NETWORK, "front-network")
BACK = urn(NETWORK, "back-network")
DB_SECRET = urn(SECRET, "app-secret-db")


SERVICE_HARDENED: dict[str, Any] = {"capDrops": ["ALL"], "readOnly": True}
"""The hardening the hygiene rules ask of a service's task that its wire can hold (with a memory
limit in its taskSpec's resources; a service has no securityOpts for no-new-privileges)."""


def _labels(role: str, group: str) -> list[dict[str, str]]:
    return [
        {"label": "container-comms.stack", "value": "test"},
        {"label": "container-comms.group", "value": group},
        {"label": "container-comms.role", "value": role},
    ]


def _service(name: str, replicas: float, networks: list[dict[str, Any]], **spec: Any) -> Any:
    ports = spec.pop("ports", [])
    return {
        "name": name,
        "labels": _labels("swarm-service", "app"),
        "mode": {"replicated": {"replicas": replicas}},
        "endpointSpec": {"mode": spec.pop("endpoint_mode", "vip"), "ports": ports},
        "taskSpec": {
            "containerSpec": {
                "image": HTTPD,
                "labels": _labels("swarm-service", "app"),
                **copy.deepcopy(SERVICE_HARDENED),
            }
            | spec,
            "networksAdvanceds": networks,
            "resources": {"limits": {"memoryBytes": 64.0 * 1024 * 1024}},
            "restartPolicy": {"condition": "any"},
        },
        "convergeConfig": {"delay": "1s", "timeout": "3m"},
    }


def _overlay(name: str, subnet: str, attachable: bool) -> dict[str, Any]:
    return {
        "name": name,
        "driver": "overlay",
        "attachable": attachable,
        "internal": False,
        "ipamConfigs": [{"subnet": subnet, "gateway": subnet.replace(".0/24", ".1")}],
    }


def compliant_swarm_stack() -> list[Resource]:
    """A swarm stack every rule passes, as the components put it on the wire."""
    proxy = urn(CONTAINER, "edge-proxy")
    resources = [
        Resource(STACK, "container-comms-test", urn(STACK, "container-comms-test"), {}),
        Resource(NETWORK, "front-network", FRONT, _overlay("front", "10.40.0.0/24", True)),
        Resource(NETWORK, "back-network", BACK, _overlay("back", "10.40.1.0/24", False)),
        Resource(
            SECRET,
            "app-secret-db",
            DB_SECRET,
            {"name": "app_db", "data": base64.b64encode(b"s3cret").decode()},
        ),
        Resource(
            SERVICE,
            "app-web",
            urn(SERVICE, "app-web"),
            _service(
                "web",
                2.0,
                [{"id": UNKNOWN, "aliases": ["www"]}, {"id": UNKNOWN}],
                endpoint_mode="vip",
                ports=[
                    {
                        "targetPort": 80.0,
                        "publishedPort": 8080.0,
                        "protocol": "tcp",
                        "publishMode": "ingress",
                    }
                ],
                env={"MODE": "prod", "DB_PASSWORD_FILE": "/run/secrets/db"},
                secrets=[
                    {
                        "secretId": UNKNOWN,
                        "secretName": "app_db",
                        "fileName": "/run/secrets/db",
                        "fileMode": 256.0,
                    }
                ],
            ),
            property_dependencies={"taskSpec": (FRONT, BACK, DB_SECRET)},
            dependencies=(FRONT, BACK, DB_SECRET),
        ),
        Resource(
            SERVICE,
            "app-api",
            urn(SERVICE, "app-api"),
            _service(
                "api",
                1.0,
                [{"name": "front"}],
                ports=[
                    {
                        "targetPort": 80.0,
                        "publishedPort": 9000.0,
                        "protocol": "tcp",
                        "publishMode": "host",
                    }
                ],
            ),
        ),
        Resource(
            CONTAINER,
            "edge-proxy",
            proxy,
            {
                "name": "edge-proxy",
                "image": HTTPD,
                "mustRun": True,
                "restart": "unless-stopped",
                **copy.deepcopy(HARDENED),
                "labels": _labels("joined-owner", "edge"),
                "networksAdvanced": [{"name": "front", "aliases": ["edge"]}],
            },
            dependencies=(FRONT,),
        ),
        Resource(
            CONTAINER,
            "edge-shell",
            urn(CONTAINER, "edge-shell"),
            {
                "name": "edge-shell",
                "image": BUSYBOX,
                "command": ["sleep", "3600"],
                "mustRun": True,
                "restart": "unless-stopped",
                **copy.deepcopy(HARDENED),
                "labels": _labels("joined-sidecar", "edge"),
                "networkMode": "container:edge-proxy",
            },
            dependencies=(proxy,),
        ),
    ]
    return copy.deepcopy(resources)


@dataclass(frozen=True)
class SwarmCase:
    """One failing (or, with no messages, passing) change of the compliant swarm stack."""

    id: str
    policy: str
    resource: str
    change: Mutation
    expected: tuple[tuple[str, str], ...]
    """(message, logical name of the resource the violation's urn names, or "")."""
    config: Mapping[str, Any] = field(default_factory=dict)

    def resources(self) -> list[Resource]:
        return mutated(compliant_swarm_stack(), self.resource, self.change)


def _unset(path: str) -> Mutation:
    def change(props: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = props
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return change


SHOWN = "the engine shows environment variables to anyone who can inspect the service or its"
BRIDGE_REFUSAL = (
    'a network of one engine; the engine refuses it with "The network {0} cannot be used with '
    "services. Only networks scoped to the swarm can be used, such as those created with the "
    'overlay driver."; attach the service to an overlay network.'
)


def _off_front_naming_the_proxy(props: dict[str, Any]) -> None:
    props["taskSpec"]["networksAdvanceds"] = [{"name": "back"}]
    props["taskSpec"]["containerSpec"]["env"] = {"UPSTREAM_URL": "http://edge-proxy/"}


CASES = [
    SwarmCase(
        "driver-opts-address",
        STATIC_IP,
        "app-web",
        set_field("taskSpec.networksAdvanceds.0.driverOpts", {"ipv4_address": "10.40.0.77"}),
        (
            (
                'service "web": networksAdvanceds[0].driverOpts "ipv4_address" asks for the '
                'address "10.40.0.77"; a swarm service has no static address: the engine accepts '
                "the option and ignores it, and the swarm's allocator gives each task an address "
                "of its own; drop the option and reach the service by its name (endpointSpec mode "
                '"vip") or each task by tasks.<service> (mode "dnsrr").',
                "",
            ),
        ),
    ),
    SwarmCase(
        "container-mode",
        JOINED_MODE,
        "app-api",
        set_field("taskSpec.networksAdvanceds.0.name", "container:edge-proxy"),
        (
            (
                'service "api": networksAdvanceds[0].name is "container:edge-proxy"; a swarm '
                "service has no container: network mode, and the engine refuses it with "
                '"network container:edge-proxy not found"; run the service and the container it '
                "would join as a joined group of plain containers, on an attachable overlay "
                "network.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "container-on-closed-overlay",
        ATTACHABLE,
        "front-network",
        set_field("attachable", False),
        (
            (
                'container "edge-proxy": joins overlay network "front", which is not attachable; '
                'the engine refuses to start the container with "Could not attach to network '
                "front: rpc error: code = PermissionDenied desc = network front not manually "
                'attachable"; create "front" with attachable true, or keep the container off it.',
                "edge-proxy",
            ),
        ),
    ),
    SwarmCase(
        "service-on-bridge-by-id",
        OVERLAY_ONLY,
        "back-network",
        set_field("driver", "bridge"),
        (
            (
                'service "web": attached to network "back" (driver "bridge"), '
                + BRIDGE_REFUSAL.format("back"),
                "app-web",
            ),
        ),
    ),
    SwarmCase(
        "service-on-default-driver",
        OVERLAY_ONLY,
        "back-network",
        _unset("driver"),
        (
            (
                'service "web": attached to network "back" (driver "bridge"), '
                + BRIDGE_REFUSAL.format("back"),
                "app-web",
            ),
        ),
    ),
    SwarmCase(
        "service-on-predefined-bridge",
        OVERLAY_ONLY,
        "app-api",
        set_field("taskSpec.networksAdvanceds.0.name", "bridge"),
        (
            (
                'service "api": attached to the predefined network "bridge"; the engine accepts '
                "it and runs the tasks on each node's default bridge, where no service or "
                "container name resolves; attach the service to an overlay network.",
                "app-api",
            ),
        ),
    ),
    SwarmCase(
        "overlapping-overlays",
        OVERLAY_OVERLAP,
        "back-network",
        set_field("ipamConfigs.0.subnet", "10.40.0.128/25"),
        (
            (
                'network "back": overlay subnet "10.40.0.128/25" overlaps subnet "10.40.0.0/24" '
                'of overlay network "front"; the engine accepts the network, then never '
                'allocates it ("Pool overlaps with other one on this address space" in its log), '
                'and tasks of services on it stay "new" and never start; give each overlay '
                "network a subnet of its own.",
                "back-network",
            ),
        ),
    ),
    SwarmCase(
        "overlapping-overlays-are-not-local-pools",
        LOCAL_OVERLAP,
        "back-network",
        set_field("ipamConfigs.0.subnet", "10.40.0.128/25"),
        (),
    ),
    SwarmCase(
        "host-port-beyond-nodes",
        HOST_PORTS,
        "app-api",
        set_field("mode.replicated.replicas", 3.0),
        (
            (
                'service "api": 3 replicas publish port 9000/tcp in host mode, but a node binds '
                "a host-mode port for one task only and the swarm has 1 node (policy config "
                'swarmNodes); the engine leaves 2 tasks pending ("no suitable node (host-mode '
                'port already in use on 1 node)"); publish the port in ingress mode, run the '
                "service in mode global, or lower replicas to 1.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "host-port-within-configured-nodes",
        HOST_PORTS,
        "app-api",
        set_field("mode.replicated.replicas", 3.0),
        (),
        config={"swarmNodes": 3},
    ),
    SwarmCase(
        "host-port-global",
        HOST_PORTS,
        "app-api",
        set_field("mode", {"global": True}),
        (),
    ),
    SwarmCase(
        "env-holds-a-swarm-secret",
        SECRET_ENV,
        "app-web",
        set_field("taskSpec.containerSpec.env.MODE", "s3cret"),
        (
            (
                'service "web": env MODE holds the text of swarm secret "app_db"; '
                f"{SHOWN} containers; read it from the secret's file instead "
                "(containerSpec.secrets; many images take <NAME>_FILE=/run/secrets/<name>).",
                "app-web",
            ),
        ),
    ),
    SwarmCase(
        "env-credential",
        SECRET_ENV,
        "app-web",
        set_field("taskSpec.containerSpec.env.DB_PASSWORD", "hunter2"),
        (
            (
                'service "web": env DB_PASSWORD looks like a credential and is given as plain '
                f"text; {SHOWN} containers; pass it as a swarm secret (docker.Secret and "
                "containerSpec.secrets) and read it from its file, or list the variable in this "
                "policy's allowedEnv config if it is not secret.",
                "app-web",
            ),
        ),
    ),
    SwarmCase(
        "env-credential-allowed",
        SECRET_ENV,
        "app-web",
        set_field("taskSpec.containerSpec.env.DB_PASSWORD", "hunter2"),
        (),
        config={"allowedEnv": ["DB_PASSWORD"]},
    ),
    *[
        SwarmCase(
            f"service-name-{what}",
            SERVICE_NAME,
            "app-api",
            set_field("name", name),
            (
                (
                    f"service {shown}: name {shown} is not a name the swarm takes (letters and "
                    "digits, with - or _ between them, no dots, at most 63 characters); the "
                    f'engine refuses the service with "{RPC}name must be valid as a DNS name '
                    'component"; name it like "web-v2".',
                    "",
                ),
            ),
        )
        for what, name, shown in [
            ("with-a-dot", "api.v2", '"api.v2"'),
            ("with-a-trailing-newline", "api\n", '"api\\n"'),
            ("too-long", "a" * 64, '"' + "a" * 64 + '"'),
        ]
    ],
    SwarmCase("service-name-with-dash", SERVICE_NAME, "app-api", set_field("name", "api_v-2"), ()),
    SwarmCase(
        "replicas-beyond-uint64",
        REPLICAS,
        "app-api",
        set_field("mode.replicated.replicas", 1e20),
        (
            (
                'service "api": mode.replicated.replicas 100000000000000000000 is not a whole '
                "number from 0 to 9223372036854775807; the engine refuses the service with "
                f'"json: cannot unmarshal number 100000000000000000000 into {UINT64}"; give the '
                "number of tasks to run, e.g. 2.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "replicas-beyond-int64",
        REPLICAS,
        "app-api",
        set_field("mode.replicated.replicas", 1e19),
        (
            (
                'service "api": mode.replicated.replicas 10000000000000000000 is above '
                "9223372036854775807, the most the swarm takes; the engine refuses the service "
                f'with "{RPC}Number of replicas must be non-negative"; give the number of tasks '
                "to run, e.g. 2.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "replicas-fractional",
        REPLICAS,
        "app-api",
        set_field("mode.replicated.replicas", 1.5),
        (
            (
                'service "api": mode.replicated.replicas 1.5 is not a whole number from 0 to '
                '9223372036854775807; the engine refuses the service with "json: cannot '
                f'unmarshal number 1.5 into {UINT64}"; give the number of tasks to run, e.g. 2.',
                "",
            ),
        ),
    ),
    SwarmCase(
        "memory-below-the-swarm-floor",
        MEMORY,
        "app-api",
        set_field("taskSpec.resources", {"limits": {"memoryBytes": 1024.0}}),
        (
            (
                'service "api": taskSpec.resources.limits.memoryBytes 1024 is below 6 MiB '
                "(6291456 bytes), the least a task runs with; the engine refuses the service "
                f'with "{RPC}invalid memory value 1024: Must be at least 4MiB"; give 6 MiB or '
                "more.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "memory-below-the-task-minimum",
        MEMORY,
        "app-api",
        set_field("taskSpec.resources", {"limits": {"memoryBytes": 5242880.0}}),
        (
            (
                'service "api": taskSpec.resources.limits.memoryBytes 5242880 is below 6 MiB '
                "(6291456 bytes), the least a task runs with; the swarm creates the service and "
                'the engine rejects every task with "Minimum memory limit allowed is 6MB", so '
                "none ever runs; give 6 MiB or more.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "memory-at-the-task-minimum",
        MEMORY,
        "app-api",
        set_field("taskSpec.resources", {"limits": {"memoryBytes": 6291456.0}}),
        (),
    ),
    SwarmCase(
        "dnsrr-with-an-ingress-port",
        DNSRR_INGRESS,
        "app-web",
        set_field("endpointSpec.mode", "dnsrr"),
        (
            (
                'service "web": endpointSpec mode "dnsrr" with ports published in ingress mode '
                f'(8080/tcp); the engine refuses the service with "{RPC}EndpointSpec: port '
                "published with ingress mode can't be used with dnsrr mode\"; publish the ports "
                'in mode "host", or use endpoint mode "vip".',
                "",
            ),
        ),
    ),
    SwarmCase(
        "ingress-ports-of-their-own",
        INGRESS_TWICE,
        "app-api",
        set_field("endpointSpec.ports.0.publishMode", "ingress"),
        (),  # 9000 beside web's 8080
    ),
    SwarmCase(
        "ingress-port-of-another-service",
        INGRESS_TWICE,
        "app-api",
        set_field(
            "endpointSpec.ports",
            [{"targetPort": 80.0, "publishedPort": 8080.0, "protocol": "tcp"}],
        ),
        (
            (
                'service "web": publishes port 8080/tcp in ingress mode, which service "api" '
                "already publishes; every node holds an ingress port for one service, and the "
                f"engine refuses the second with \"{RPC}port '8080' is already in use by service "
                "'api' (<id>) as an ingress port\"; publish another port.",
                "app-web",
            ),
        ),
    ),
    # The container rules that make sense for a service read its task spec.
    SwarmCase(
        "service-adds-sys-admin",
        "docker-container-enforce-allowed-capabilities",
        "app-api",
        set_field("taskSpec.containerSpec.capAdds", ["SYS_ADMIN"]),
        (
            (
                'service "api": taskSpec.containerSpec.capAdds has "SYS_ADMIN", which Docker does '
                "not give by default and which is not allowed here (allowed beyond the default "
                "set: none); drop it, or list it in this policy's allowedCapabilities config.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-mounts-the-docker-socket",
        "docker-container-disallow-docker-socket-mount",
        "app-api",
        set_field(
            "taskSpec.containerSpec.mounts",
            [{"target": "/var/run/docker.sock", "source": "/var/run/docker.sock", "type": "bind"}],
        ),
        (
            (
                'service "api": taskSpec.containerSpec.mounts[0].source "/var/run/docker.sock" '
                "gives the container the Docker engine's socket, and with it control of the "
                "engine and of the host, read-only or not; remove the mount.",
                "app-api",
            ),
        ),
    ),
    SwarmCase(
        "service-names-a-container-on-an-overlay-it-is-not-on",
        "docker-container-require-shared-network-for-dns",
        "app-api",
        _off_front_naming_the_proxy,
        (
            (
                'service "api": env UPSTREAM_URL names "edge-proxy" (container "edge-proxy"), but '
                "the two share no user-defined network, so the name does not resolve (the "
                "embedded DNS server answers only on user-defined networks); attach both to one "
                "user-defined network.",
                "app-api",
            ),
        ),
    ),
    SwarmCase(
        "service-names-a-container-on-its-overlay",
        "docker-container-require-shared-network-for-dns",
        "app-api",
        set_field("taskSpec.containerSpec.env", {"UPSTREAM_URL": "http://edge-proxy/"}),
        (),
    ),
    SwarmCase(
        "container-names-a-service-on-its-overlay",
        "docker-container-require-shared-network-for-dns",
        "edge-proxy",
        set_field("envs", ["API_URL=http://api:80/", "WEB_URL=http://web/"]),
        (),
    ),  # Container rules that read a field a service's task container has too, through the one
    # subject reader: the service is named, with the service's own key.
    SwarmCase(
        "service-working-dir-relative",
        "docker-container-enforce-valid-process",
        "app-api",
        set_field("taskSpec.containerSpec.dir", "app"),
        (
            (
                'service "api": taskSpec.containerSpec.dir "app" is not an absolute path; the '
                "engine refuses it at create with \"the working directory 'app' is invalid, it "
                'needs to be an absolute path"; give an absolute path such as /app.',
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-stop-signal-unknown",
        "docker-container-enforce-valid-process",
        "app-api",
        set_field("taskSpec.containerSpec.stopSignal", "SIGNOPE"),
        (
            (
                'service "api": taskSpec.containerSpec.stopSignal "SIGNOPE" is not a signal; the '
                'engine refuses it at create with "Invalid signal: SIGNOPE"; give a signal name '
                "such as SIGTERM (or SIGINT, SIGQUIT, SIGUSR1) or its number.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-env-with-an-empty-name",
        "docker-container-enforce-valid-process",
        "app-api",
        set_field("taskSpec.containerSpec.env", {"": "x", "MODE": "prod"}),
        (
            (
                'service "api": taskSpec.containerSpec.env[""] "=x" has an empty variable name; '
                'the engine refuses it at create with "invalid environment variable: =x"; name '
                "the variable.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-argument-with-a-nul-byte",
        "docker-container-enforce-valid-process",
        "app-api",
        set_field("taskSpec.containerSpec.args", ["-c", "a\x00b"]),
        (
            (
                'service "api": taskSpec.containerSpec.args[1] "a\\u0000b" holds a NUL byte, '
                "which no program argument can carry; the engine accepts it and the start fails "
                "(exec: invalid argument, or the program is not found); remove it.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-log-max-file-not-a-number",
        "docker-container-enforce-valid-logging",
        "app-api",
        set_field("taskSpec.logDriver", {"name": "json-file", "options": {"max-file": "x"}}),
        (
            (
                'service "api": taskSpec.logDriver.options max-file "x" is not a number; the '
                'start fails with "failed to initialize logging driver: strconv.Atoi: parsing '
                '"x": invalid syntax"; give a count such as 3.',
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-sysctl-of-the-host",
        "docker-container-disallow-host-sysctls",
        "app-api",
        set_field("taskSpec.containerSpec.sysctl", {"vm.swappiness": "10"}),
        (
            (
                'service "api": sysctl "vm.swappiness" cannot be set in the container; the start '
                'fails with "sysctl "vm.swappiness" is not in a separate kernel namespace"; set '
                "only parameters of the container's own namespaces (net.* off the host's "
                "network; kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* off the host's IPC "
                "namespace; kernel.domainname), and host-wide ones on the host.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-namespaced-sysctl",
        "docker-container-disallow-host-sysctls",
        "app-api",
        set_field("taskSpec.containerSpec.sysctl", {"net.ipv4.ip_forward": "1"}),
        (),
    ),
    SwarmCase(
        "service-user-by-name",
        "docker-container-require-image-user",
        "app-api",
        set_field("taskSpec.containerSpec.user", "app"),
        (
            (
                'service "api": user "app" is a name, which the engine looks up in the image\'s '
                "/etc/passwd at start (the pack cannot see the image); without it the start fails "
                'with "unable to find user app: no matching entries in passwd file"; make sure '
                "the image has it, or give the number.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-drops-an-unknown-capability",
        "docker-container-disallow-unknown-capability",
        "app-api",
        set_field("taskSpec.containerSpec.capDrops", ["ALL", "FOO"]),
        (
            (
                'service "api": taskSpec.containerSpec.capDrops has "FOO", which is not a '
                'capability the engine knows; it refuses the container with "invalid CapDrop: '
                'unknown capability: "CAP_FOO""; write a Linux capability name such as NET_ADMIN '
                "(engine 20.10 does not know PERFMON, BPF and CHECKPOINT_RESTORE; list them in "
                "this policy's extraKnownCapabilities config for a newer engine).",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-mount-with-shared-propagation",
        "docker-container-disallow-shared-mount-propagation",
        "app-api",
        set_field(
            "taskSpec.containerSpec.mounts",
            [
                {
                    "target": "/data",
                    "source": "/srv/data",
                    "type": "bind",
                    "bindOptions": {"propagation": "rshared"},
                }
            ],
        ),
        (
            (
                'service "api": taskSpec.containerSpec.mounts[0].bindOptions.propagation '
                '"rshared" carries mounts both ways: what the container mounts below the bind '
                "appears on the host, and the host's in the container; remove it (rprivate, "
                "Docker's default), or use rslave to see the host's mounts only.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-alias-not-a-dns-name",
        "docker-container-enforce-valid-alias",
        "app-api",
        set_field("taskSpec.networksAdvanceds", [{"name": "front", "aliases": ["api_v2!"]}]),
        (
            (
                'service "api": alias "api_v2!" on network "front" is not a valid DNS name, so '
                "lookups of it can fail; use dot-separated labels of 1 to 63 letters, digits and "
                "hyphens, not starting or ending with a hyphen.",
                "",
            ),
        ),
    ),
    SwarmCase(
        "service-keeps-default-capabilities",
        CAPABILITY_DROP,
        "app-api",
        set_field("taskSpec.containerSpec.capDrops", []),
        ((summary(CAPABILITY_DROP, ["api"], 4), ""),),
    ),
    SwarmCase(
        "service-with-a-writable-root",
        READ_ONLY_ROOT,
        "app-api",
        set_field("taskSpec.containerSpec.readOnly", False),
        ((summary(READ_ONLY_ROOT, ["api"], 4), ""),),
    ),
    SwarmCase(
        "service-without-a-memory-limit",
        MEMORY_LIMIT,
        "app-web",
        set_field("taskSpec.resources", {"reservation": {"memoryBytes": 67108864.0}}),
        ((summary(MEMORY_LIMIT, ["web"], 4), ""),),
    ),
    SwarmCase(
        "service-image-by-tag-only",
        IMAGE_DIGEST,
        "app-api",
        set_field("taskSpec.containerSpec.image", "httpd:2.4"),
        ((summary(IMAGE_DIGEST, ["api"], 4), ""),),
    ),
    SwarmCase(
        "service-is-not-asked-for-no-new-privileges",
        NO_NEW_PRIVILEGES,
        "app-api",
        set_field("taskSpec.containerSpec.user", "1000"),
        (),
    ),
]


def _urn_of(case: SwarmCase, name: str) -> str:
    return named(case.resources(), name).urn if name else ""


def test_every_swarm_rule_has_failing_cases() -> None:
    covered = {case.policy for case in CASES if case.expected}
    assert covered >= {p.name for p in SWARM_POLICIES}


def test_compliant_swarm_stack_passes_every_rule_directly() -> None:
    for policy in POLICIES:
        result = run_direct(policy, compliant_swarm_stack())
        assert result.violations == [], policy.name
        assert result.not_applicable == [], policy.name


def test_compliant_swarm_stack_passes_the_pack(pack: PackClient) -> None:
    verdict = pack.analyze_all(compliant_swarm_stack())
    assert verdict.findings == ()
    assert verdict.not_applicable == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_swarm_rule_directly(case: SwarmCase) -> None:
    result = run_direct(BY_NAME[case.policy], case.resources(), case.config)
    expected = [(message, _urn_of(case, name)) for message, name in case.expected]
    assert result.violations == expected
    assert result.not_applicable == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_swarm_rule_through_the_pack(pack: PackClient, case: SwarmCase) -> None:
    config: dict[str, Any] = {case.policy: dict(case.config)} if case.config else {}
    verdict = pack.analyze_all(case.resources(), config=config)
    found = [(f.message, f.urn, f.level) for f in verdict.findings if f.policy == case.policy]
    level = level_name(BY_NAME[case.policy])
    assert found == [(m, _urn_of(case, n), level) for m, n in case.expected]
    assert verdict.cant_run == ()


def test_service_networks_that_cannot_be_told_apart_leave_the_rule_undecided() -> None:
    # Two networks by id, but the taskSpec was built from one network only.
    resources = mutated(
        compliant_swarm_stack(),
        "app-web",
        lambda props: None,
    )
    web = named(resources, "app-web")
    resources[resources.index(web)] = Resource(
        web.type, web.name, web.urn, web.props, property_dependencies={"taskSpec": (FRONT,)}
    )
    result = run_direct(BY_NAME[OVERLAY_ONLY], resources)
    assert result.violations == []
    assert result.not_applicable == [
        'cannot decide during preview: the networks of service "web" are unknown until the '
        "update; the rule decides when the update runs"
    ]


def test_swarm_stack_of_the_project_passes_the_pack(recorder, pack: PackClient) -> None:
    plan = recorder.stack("swarm", preview=True)
    verdict = pack.check(plan.resources)
    # Only the hardening the stack leaves out, once for the stack each.
    assert [(f.policy, f.level, f.urn) for f in verdict.findings] == [
        (policy, "advisory", "") for policy in HARDENING
    ]
    assert verdict.not_applicable == ()
