"""Create a recorded plan on a real Docker engine, the way the pulumi-docker provider would.

Test tooling only: users deploy with `pulumi up`. This takes the registrations a program makes
under mocks (`plan.record_program`) and creates the networks, images and containers on the
engine through the Docker SDK for Python, in dependency order, so a test can check that the
containers really talk, or that the engine refuses what a policy rule says it refuses.

What the provider does, and so what this does (read from kreuzwerker/terraform-provider-docker,
the Terraform provider pulumi-docker 5.x is bridged from,
`internal/provider/resource_docker_container_funcs.go`, `resourceDockerContainerCreate`, and
`resource_docker_network_funcs.go`):
- a network is one `NetworkCreate` with driver, options, internal, attachable, ingress, IPv6,
  labels and the IPAM driver and configs (subnet, ip_range, gateway, aux_address);
- a container is created with `network_mode` as its `HostConfig.NetworkMode` and an empty
  `NetworkingConfig`; then, only when `networks_advanced` is set, it is disconnected from
  `bridge` (the error "is not connected to the network bridge" is ignored) and connected to
  each entry with its aliases and IPAM config (ipv4/ipv6 address); then it is started (unless
  `start = false`); a container that is not running after the start while `must_run` is true
  (the default) is deleted and the create fails ("container failed to be in running state");
- ports become exposed ports plus port bindings (`internal/protocol` -> host ip and external
  port); labels, hosts, env, dns, dns options and search domains, capabilities, restart policy,
  healthcheck, user, working dir, init, mounts (type, source, target, read-only, tmpfs size and
  mode), devices, sysctls, ulimits, log driver and options, stop signal and timeout, security
  options, read-only root, pid and ipc modes map one to one onto the container config and host
  config; `memory`, `memory_swap`, `memory_reservation` and `shm_size` are MiB (a swap of -1
  stays -1), `cpus` becomes nano-CPUs, `tmpfs` is the host config's tmpfs map and `rm` its
  auto-remove;
- `volumes` (`volumeSetToDockerVolumes`): `volumeName`, else `hostPath`, becomes a bind
  `source:containerPath:rw|ro`; `fromContainer` becomes a `VolumesFrom` entry; a bare
  `containerPath` an anonymous volume. `mounts` become `HostConfig.Mounts` (type, source,
  target, read-only, bind propagation, volume no-copy, labels and driver, tmpfs size and mode).
  `devices` (`deviceSetToDockerDevices`) become device mappings: the container path defaults to
  the host path and then the permissions are `rwm`, whatever was given. pid, ipc and userns
  modes, device cgroup rules, security options, sysctls and group adds go to the host config
  as they are;
- each `upload` is one tar entry (the file's absolute path, mode `permissions` in octal, else
  0744 when `executable`, else 0644; numeric `owner`/`group` as its uid/gid) copied to `/` of
  the created container after the network connects and before the start;
- after the start, `wait` polls the container until its health check reports `healthy`, for
  up to `wait_timeout` seconds (60 by default), and fails the create when it does not
  ("container failed to be in healthy state"); then `attach` waits until the container is no
  longer running;
- a volume (`resource_docker_volume.go`) is one `VolumeCreate` with name, driver, driver
  options and labels;
- a swarm secret (`resource_docker_secret.go`) is one `SecretCreate` with the name, the labels
  and the data base64-decoded;
- a swarm service (`resource_docker_service_funcs.go`, `createServiceSpec`) is one
  `ServiceCreate`: the task template's container spec (`commands` is the swarm's Command, that
  is the entrypoint; `args` its Args; env as `KEY=value`; hosts as `ip host`; durations in
  nanoseconds; secrets by id with their file name and mode), networks by id or name with their
  aliases and driver options, placement, resources, restart policy and log driver; the mode,
  endpoint spec, update and rollback configs and labels. With `convergeConfig` the provider
  then waits until every task runs (it fails the create after the timeout), and so does this.

Secret inputs (Pulumi's `{"4dabf1...": ..., "value": ...}` wire form) reach the provider as their
plain value, so they are unwrapped first.

Any input this does not translate raises `UntranslatedInput` naming the resource and the
property: nothing is dropped silently. One deliberate change: ports the plan publishes on all
host interfaces are bound to 127.0.0.1 here (`bind_ip`), so no test opens a port beyond this
machine; `Realization.port_rebinds` records every such change.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import tarfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import docker
import docker.errors
import docker.types

from components import vocabulary
from plan import SECRET_SIG, UNKNOWN, Plan, Registration

NETWORK = vocabulary.NETWORK_TYPE
CONTAINER = vocabulary.CONTAINER_TYPE
REMOTE_IMAGE = vocabulary.REMOTE_IMAGE_TYPE
VOLUME = vocabulary.VOLUME_TYPE
SERVICE = vocabulary.DOCKER_SERVICE_TYPE
SECRET = vocabulary.DOCKER_SECRET_TYPE
_SERVICE_GONE_S = 30.0
"""How long a removed service's tasks get to go before its networks are removed."""


# The provider's default, when the program does not set `must_run`.
_MUST_RUN_DEFAULT = True
# How long a started container gets to show that it exits immediately (the provider polls
# its state for up to 15 s; a stand-in that exits does so within milliseconds).
_RUNNING_GRACE_S = 0.3
# The provider's `wait_timeout` default, and how often this polls the health status.
_WAIT_TIMEOUT_DEFAULT_S = 60
_HEALTH_POLL_S = 0.5
# How long `attach` may wait for a container to exit (the provider: its create timeout).
_ATTACH_TIMEOUT_S = 120
_MIB = 1024 * 1024

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_DURATION_NS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class UntranslatedInput(Exception):  # noqa: N818 (reads as what happened)
    """The plan sets an input this realizer cannot create faithfully."""

    def __init__(self, resource: str, prop: str, value: Any, why: str = "not translated") -> None:
        self.resource = resource
        self.prop = prop
        super().__init__(f"{resource}: input {prop}={value!r} is {why} by tests/engine/realize.py")


class EngineRefused(Exception):  # noqa: N818 (reads as what happened)
    """The engine refused a step of creating a resource; `message` is the engine's own text."""

    def __init__(self, resource: str, step: str, message: str) -> None:
        self.resource = resource
        self.step = step
        self.message = message
        super().__init__(f"{resource}: {step} refused by the engine: {message}")


@dataclass
class Realization:
    """What one realize run created on the engine, for checks and for teardown."""

    client: docker.DockerClient
    bind_ip: str = "127.0.0.1"
    """Host address that replaces 0.0.0.0 / "" in published ports (None keeps the plan's)."""
    networks: dict[str, Any] = field(default_factory=dict)
    """Network resource name (engine name) -> docker Network."""
    containers: dict[str, Any] = field(default_factory=dict)
    """Container name (engine name) -> docker Container."""
    images: dict[str, str] = field(default_factory=dict)
    """RemoteImage `name` -> the local image id it resolved to."""
    volumes: list[str] = field(default_factory=list)
    """Volumes created (engine names), in creation order."""
    healthy_at: dict[str, float] = field(default_factory=dict)
    """Container name -> when (`time.time()`) `wait` saw it healthy."""
    services: dict[str, str] = field(default_factory=dict)
    """Service name -> the service's id on the swarm."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret name -> the secret's id on the swarm."""
    port_rebinds: list[str] = field(default_factory=list)
    """Every published port moved from all interfaces to `bind_ip`."""
    _ids: dict[str, str] = field(default_factory=dict)
    """Mock ids (and other plan-time references) -> engine ids or names."""

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Realization:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.teardown()

    def teardown(self) -> None:
        """Remove every service, secret, container and network this realization created
        (images stay)."""
        ids = set(self.services.values())
        for name in reversed(list(self.services)):
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_service(self.services[name])
        self.services.clear()
        self._wait_tasks_gone(ids)
        for name in reversed(list(self.secrets)):
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_secret(self.secrets[name])
        self.secrets.clear()
        for name in reversed(list(self.containers)):
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_container(name, force=True, v=True)
        self.containers.clear()
        for name in reversed(list(self.networks)):
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_network(self.networks[name].id)
        # A swarm removes an overlay a moment after it says so; until then a network of the
        # same name cannot be made ("network with name x already exists").
        deadline = time.monotonic() + 30
        while any(
            net.get("Name") == name
            for name in self.networks
            for net in self.client.api.networks(names=[name])
        ):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        self.networks.clear()
        for name in reversed(self.volumes):
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_volume(name, force=True)
        self.volumes.clear()
        self._ids.clear()

    # -- entry points ---------------------------------------------------------------------

    def apply_plan(self, plan: Plan) -> None:
        """Create every custom resource of `plan` in dependency order."""
        self.apply(plan.resources)

    def apply(self, resources: Sequence[Registration]) -> None:
        """Create `resources` (components and the stack are skipped) in dependency order."""
        # The provider gets a secret's plain value.
        ordered = [_revealed(r) for r in dependency_order(resources)]
        # Every translation first: an untranslatable input fails before anything is made.
        for registration in ordered:
            _check_inputs(registration)
        for registration in ordered:
            if registration.type == NETWORK:
                self._network(registration)
            elif registration.type == VOLUME:
                self._volume(registration)
            elif registration.type == REMOTE_IMAGE:
                self._remote_image(registration)
            elif registration.type == CONTAINER:
                self._container(registration)
            elif registration.type == SECRET:
                self._secret(registration)
            elif registration.type == SERVICE:
                self._service(registration)
        self._check_running(ordered)

    # -- resources ------------------------------------------------------------------------

    def _network(self, r: Registration) -> None:
        inputs = r.inputs
        name = _engine_name(r)
        pools = [
            docker.types.IPAMPool(
                subnet=cfg.get("subnet") or None,
                iprange=cfg.get("ipRange") or None,
                gateway=cfg.get("gateway") or None,
                aux_addresses=cfg.get("auxAddress") or None,
            )
            for cfg in inputs.get("ipamConfigs") or []
        ]
        ipam = None
        if pools or inputs.get("ipamDriver"):
            ipam = docker.types.IPAMConfig(
                driver=inputs.get("ipamDriver") or "default", pool_configs=pools
            )
        try:
            created = self.client.api.create_network(
                name,
                driver=inputs.get("driver") or "bridge",
                options=inputs.get("options") or None,
                ipam=ipam,
                internal=bool(inputs.get("internal", False)),
                labels=_labels(inputs.get("labels")),
                enable_ipv6=bool(inputs.get("ipv6", False)),
                attachable=inputs.get("attachable"),
                ingress=inputs.get("ingress"),
                check_duplicate=True,
            )
        except docker.errors.APIError as error:
            raise EngineRefused(r.name, "network create", _explain(error)) from None
        network = self.client.networks.get(created["Id"])
        self.networks[name] = network
        self._remember(r, network.id, name)

    def _secret(self, r: Registration) -> None:
        inputs = r.inputs
        name = _engine_name(r)
        data = inputs["data"]
        try:
            created = self.client.api.create_secret(
                name, base64.b64decode(str(data)), labels=_labels(inputs.get("labels"))
            )
        except docker.errors.APIError as error:
            raise EngineRefused(r.name, "secret create", _explain(error)) from None
        self.secrets[name] = created["ID"]
        self._remember(r, created["ID"], name)

    def _service(self, r: Registration) -> None:
        inputs = r.inputs
        name = _engine_name(r)
        task = inputs["taskSpec"]
        spec = task["containerSpec"]
        container: dict[str, Any] = {
            "Image": self._resolve(str(spec["image"])),
            "Command": spec.get("commands"),
            "Args": spec.get("args"),
            "Env": [f"{k}={v}" for k, v in (spec.get("env") or {}).items()] or None,
            "Labels": _labels(spec.get("labels")),
            "Hostname": spec.get("hostname"),
            "User": spec.get("user"),
            "Dir": spec.get("dir"),
            "Init": spec.get("init"),
            "StopSignal": spec.get("stopSignal"),
            "StopGracePeriod": _duration_ns(r.name, "stopGracePeriod", spec.get("stopGracePeriod")),
            "ReadOnly": spec.get("readOnly"),
            "Sysctls": spec.get("sysctl"),
            "CapabilityAdd": spec.get("capAdds"),
            "CapabilityDrop": spec.get("capDrops"),
            "Hosts": [f"{h['ip']} {h['host']}" for h in spec.get("hosts") or []] or None,
            "Healthcheck": _service_healthcheck(r.name, spec.get("healthcheck")),
            "Mounts": [self._mount_spec(m) for m in spec.get("mounts") or []] or None,
            "Secrets": [
                {
                    "SecretID": self._resolve(str(secret["secretId"])),
                    "SecretName": secret.get("secretName"),
                    "File": {
                        "Name": secret["fileName"],
                        "UID": str(secret.get("fileUid") or "0"),
                        "GID": str(secret.get("fileGid") or "0"),
                        "Mode": int(secret.get("fileMode") or 0o444),
                    },
                }
                for secret in spec.get("secrets") or []
            ]
            or None,
        }
        dns = spec.get("dnsConfig") or {}
        if dns:
            container["DNSConfig"] = {
                "Nameservers": dns.get("nameservers"),
                "Search": dns.get("searches"),
                "Options": dns.get("options"),
            }
        template: dict[str, Any] = {
            "ContainerSpec": {k: v for k, v in container.items() if v not in (None, [], {})},
            "Networks": [
                {
                    "Target": self._resolve(str(n.get("id") or n.get("name"))),
                    "Aliases": n.get("aliases") or None,
                    "DriverOpts": n.get("driverOpts") or None,
                }
                for n in task.get("networksAdvanceds") or []
            ],
            "RestartPolicy": _restart(r.name, task.get("restartPolicy")),
        }
        placement = task.get("placement") or {}
        if placement:
            template["Placement"] = {
                "Constraints": placement.get("constraints"),
                "MaxReplicas": int(placement.get("maxReplicas") or 0),
            }
        resources = task.get("resources") or {}
        if resources:
            template["Resources"] = {
                key: {
                    "NanoCPUs": int(given.get("nanoCpus") or 0),
                    "MemoryBytes": int(given.get("memoryBytes") or 0),
                }
                for key, given in (
                    ("Limits", resources.get("limits")),
                    ("Reservations", resources.get("reservation")),
                )
                if given
            }
        log = task.get("logDriver") or {}
        if log:
            template["LogDriver"] = {"Name": log["name"], "Options": log.get("options")}
        mode = inputs.get("mode") or {}
        endpoint = inputs.get("endpointSpec") or {}
        try:
            created = self.client.api.create_service(
                template,
                name=name,
                labels=_labels(inputs.get("labels")),
                mode={"Global": {}}
                if mode.get("global")
                else {
                    "Replicated": {
                        "Replicas": int((mode.get("replicated") or {}).get("replicas", 1))
                    }
                },
                endpoint_spec={
                    "Mode": endpoint.get("mode") or "vip",
                    "Ports": [
                        {
                            "Name": p.get("name") or "",
                            "Protocol": p.get("protocol") or "tcp",
                            "TargetPort": int(p["targetPort"]),
                            "PublishedPort": int(p.get("publishedPort") or 0),
                            "PublishMode": p.get("publishMode") or "ingress",
                        }
                        for p in endpoint.get("ports") or []
                    ],
                },
                update_config=_update(r.name, inputs.get("updateConfig")),
                rollback_config=_update(r.name, inputs.get("rollbackConfig")),
            )
        except docker.errors.APIError as error:
            raise EngineRefused(r.name, "service create", _explain(error)) from None
        self.services[name] = created["ID"]
        self._remember(r, created["ID"], name)
        converge = inputs.get("convergeConfig")
        if converge:
            timeout = _duration_ns(r.name, "convergeConfig.timeout", converge.get("timeout"))
            self.converge(name, (timeout or 180 * 10**9) / 1e9)

    def converge(self, service: str, timeout: float) -> list[dict[str, Any]]:
        """Wait until every task the service wants runs, as the provider's converge does; its
        running tasks. Raises `EngineRefused` ("converge") with the tasks' states and errors."""
        ident = self.services[service]
        deadline = time.monotonic() + timeout
        while True:
            wanted = self._wanted_tasks(ident)
            tasks = [
                t
                for t in self.client.api.tasks(filters={"service": ident})
                if t.get("DesiredState") == "running"
            ]
            running = [t for t in tasks if t["Status"]["State"] == "running"]
            if wanted is not None and len(running) >= wanted and len(tasks) == len(running):
                return running
            if time.monotonic() >= deadline:
                states = sorted(
                    f"{t['Status']['State']}"
                    + (f" ({t['Status'].get('Err')})" if t["Status"].get("Err") else "")
                    for t in tasks
                )
                raise EngineRefused(
                    service,
                    "converge",
                    f"{len(running)} of {wanted} tasks running after {timeout:g} s: "
                    + ", ".join(states),
                )
            time.sleep(0.25)

    def _wanted_tasks(self, ident: str) -> int | None:
        mode = self.client.api.inspect_service(ident)["Spec"]["Mode"]
        if "Replicated" in mode:
            return int(mode["Replicated"].get("Replicas", 1))
        # Global: one task on each node that may run one (ready, active, meeting the
        # constraints), as the manager counts them; None until it has counted.
        listed = self.client.api.services(filters={"id": ident}, status=True)
        desired = [int((s.get("ServiceStatus") or {}).get("DesiredTasks") or 0) for s in listed]
        return desired[0] if desired and desired[0] > 0 else None

    def _wait_tasks_gone(self, service_ids: set[str]) -> None:
        """Remove the containers of removed services on this engine at once (as `docker rm -f`:
        a task's process need not take its stop grace period) and wait until none is left and
        the manager lists no task of them on another node (those stop there, within their stop
        grace period), so their networks and secrets can go."""
        if not service_ids:
            return
        here = self.client.info()["Swarm"]["NodeID"]
        deadline = time.monotonic() + _SERVICE_GONE_S
        while time.monotonic() < deadline:
            left = [
                c["Id"]
                for c in self.client.api.containers(all=True)
                if (c.get("Labels") or {}).get("com.docker.swarm.service.id") in service_ids
            ]
            for ident in left:
                with contextlib.suppress(docker.errors.APIError):
                    self.client.api.remove_container(ident, force=True, v=True)
            remote = [
                t
                for t in self.client.api.tasks()
                if t.get("ServiceID") in service_ids and t.get("NodeID") != here
            ]
            if not left and not remote:
                return
            time.sleep(0.25)

    def _volume(self, r: Registration) -> None:
        inputs = r.inputs
        name = _engine_name(r)
        try:
            self.client.api.create_volume(
                name,
                driver=inputs.get("driver") or None,
                driver_opts=inputs.get("driverOpts") or None,
                labels=_labels(inputs.get("labels")),
            )
        except docker.errors.APIError as error:
            raise EngineRefused(r.name, "volume create", _explain(error)) from None
        self.volumes.append(name)
        self._remember(r, name, name)

    def _claim_volumes(self, names: Iterable[str]) -> None:
        """Remove on teardown the named volumes the engine makes for a container's mounts."""
        existing = {v["Name"] for v in self.client.api.volumes().get("Volumes") or []}
        for name in names:
            if name not in existing and name not in self.volumes:
                self.volumes.append(name)

    def _remote_image(self, r: Registration) -> None:
        # No pull: the stand-in must already be on the engine (keepLocally is moot here).
        wanted = str(r.inputs["name"])
        try:
            image = self.client.images.get(wanted)
        except docker.errors.ImageNotFound:
            raise EngineRefused(
                r.name, "image", f"no local image {wanted} (no pull in tests; build a stand-in)"
            ) from None
        self.images[wanted] = image.id
        self._remember(r, wanted, wanted)
        for key in ("imageId", "repoDigest"):
            value = r.outputs.get(key)
            if isinstance(value, str) and value:
                self._ids[value] = wanted

    def _container(self, r: Registration) -> None:
        inputs = r.inputs
        name = _engine_name(r)
        api = self.client.api
        image = self._resolve(str(inputs["image"]))
        exposed, bindings = self._ports(name, inputs)
        host_config = self._host_config(inputs, bindings)
        anonymous, named = self._storage_and_isolation(inputs, host_config)
        self._claim_volumes(named)
        try:
            created = api.create_container(
                image,
                command=inputs.get("command") or None,
                entrypoint=inputs.get("entrypoints") or inputs.get("entrypoint") or None,
                name=name,
                hostname=inputs.get("hostname") or None,
                domainname=inputs.get("domainname") or None,
                user=inputs.get("user") or None,
                working_dir=inputs.get("workingDir") or None,
                environment=list(inputs.get("envs") or []) or None,
                labels=_labels(inputs.get("labels")),
                ports=exposed or None,
                healthcheck=_healthcheck(r.name, inputs.get("healthcheck")),
                tty=bool(inputs.get("tty", False)),
                stdin_open=bool(inputs.get("stdinOpen", False)),
                stop_signal=inputs.get("stopSignal") or None,
                stop_timeout=int(inputs["stopTimeout"]) if inputs.get("stopTimeout") else None,
                volumes=anonymous or None,
                host_config=host_config,
                networking_config=None,
                use_config_proxy=False,
                platform=inputs.get("platform") or None,
            )
        except docker.errors.APIError as error:
            raise EngineRefused(r.name, "container create", _explain(error)) from None
        container = self.client.containers.get(created["Id"])
        self.containers[name] = container
        self._remember(r, container.id, name)
        self._connect(r, container.id, inputs.get("networksAdvanced") or [])
        for upload in inputs.get("uploads") or []:
            try:
                api.put_archive(container.id, "/", _upload_tar(upload))
            except docker.errors.APIError as error:
                raise EngineRefused(r.name, f"upload {upload['file']}", _explain(error)) from None
        if inputs.get("start", True):
            try:
                api.start(container.id)
            except docker.errors.APIError as error:
                raise EngineRefused(r.name, "container start", _explain(error)) from None
            if inputs.get("wait"):
                timeout = float(inputs.get("waitTimeout") or _WAIT_TIMEOUT_DEFAULT_S)
                self._wait_healthy(r, name, container.id, timeout)
        if inputs.get("attach"):
            self._wait_exit(r, container.id)

    def _storage_and_isolation(
        self, inputs: Mapping[str, Any], host_config: dict[str, Any]
    ) -> tuple[list[str], list[str]]:
        """Put volumes, mounts, devices and the namespace and confinement settings into
        `host_config`; return the anonymous volume paths and the named volumes used."""
        binds, volumes_from, anonymous, named = self._volumes_of(inputs)
        mounts = [self._mount_spec(m) for m in inputs.get("mounts") or []]
        named += [m["Source"] for m in mounts if m["Type"] == "volume" and m.get("Source")]
        extra: dict[str, Any] = {
            "Binds": binds,
            "VolumesFrom": volumes_from,
            "Mounts": mounts,
            "Devices": [_device(d) for d in inputs.get("devices") or []],
            "PidMode": self._resolve_mode(str(inputs.get("pidMode") or "")),
            "IpcMode": self._resolve_mode(str(inputs.get("ipcMode") or "")),
            "UsernsMode": inputs.get("usernsMode") or "",
            "DeviceCgroupRules": list(inputs.get("deviceCgroupRules") or []),
            "SecurityOpt": list(inputs.get("securityOpts") or []),
            "Sysctls": dict(inputs.get("sysctls") or {}),
            "GroupAdd": list(inputs.get("groupAdds") or []),
        }
        host_config.update({k: v for k, v in extra.items() if v})
        return anonymous, named

    def _volumes_of(
        self, inputs: Mapping[str, Any]
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        """Binds, volumes-from entries, anonymous volume paths and named volumes, as the
        provider's `volumeSetToDockerVolumes` makes them."""
        binds: list[str] = []
        volumes_from: list[str] = []
        anonymous: list[str] = []
        named: list[str] = []
        for entry in inputs.get("volumes") or []:
            source = entry.get("volumeName") or entry.get("hostPath") or ""
            path = entry.get("containerPath") or ""
            holder = entry.get("fromContainer") or ""
            if holder:
                volumes_from.append(self._resolve(holder))
            elif source:
                binds.append(f"{source}:{path}:{'ro' if entry.get('readOnly') else 'rw'}")
                if not source.startswith("/"):
                    named.append(self._resolve(source))
            else:
                anonymous.append(path)
        return binds, volumes_from, anonymous, named

    def _mount_spec(self, mount: Mapping[str, Any]) -> dict[str, Any]:
        kind = str(mount["type"])
        source = mount.get("source") or ""
        result: dict[str, Any] = {
            "Type": kind,
            "Target": mount["target"],
            "Source": self._resolve(source) if kind == "volume" and source else source,
            "ReadOnly": bool(mount.get("readOnly", False)),
        }
        bind = mount.get("bindOptions") or {}
        if kind == "bind" and bind:
            result["BindOptions"] = {"Propagation": bind.get("propagation") or ""}
        volume = mount.get("volumeOptions") or {}
        if kind == "volume" and volume:
            options: dict[str, Any] = {
                "NoCopy": bool(volume.get("noCopy", False)),
                "Labels": _labels(volume.get("labels")),
            }
            if volume.get("driverName") or volume.get("driverOptions"):
                options["DriverConfig"] = {
                    "Name": volume.get("driverName") or "",
                    "Options": dict(volume.get("driverOptions") or {}),
                }
            result["VolumeOptions"] = options
        tmpfs = mount.get("tmpfsOptions") or {}
        if kind == "tmpfs" and tmpfs:
            result["TmpfsOptions"] = {
                "SizeBytes": int(tmpfs.get("sizeBytes") or 0),
                "Mode": int(tmpfs.get("mode") or 0),
            }
        return result

    def _ports(
        self, name: str, inputs: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, list[Any]]]:
        """Exposed ports and port bindings; all-interface bindings moved to `bind_ip`."""
        exposed: list[Any] = []
        bindings: dict[str, list[Any]] = {}
        for port in inputs.get("ports") or []:
            internal = int(port["internal"])
            protocol = str(port.get("protocol") or "tcp")
            key = f"{internal}/{protocol}"
            exposed.append((internal, protocol) if protocol != "tcp" else internal)
            host_ip = str(port.get("ip") or "0.0.0.0")
            if self.bind_ip and host_ip in ("0.0.0.0", "", "::"):
                self.port_rebinds.append(f"{name} {key}: {host_ip} -> {self.bind_ip}")
                host_ip = self.bind_ip
            external = port.get("external")
            bindings.setdefault(key, []).append(
                (host_ip, int(external)) if external else (host_ip,)
            )
        return exposed, bindings

    def _host_config(self, inputs: Mapping[str, Any], bindings: dict[str, list[Any]]) -> Any:
        capabilities = inputs.get("capabilities") or {}
        restart = inputs.get("restart")
        restart_policy = None
        if restart:
            restart_policy = {"Name": restart}
            if inputs.get("maxRetryCount"):
                restart_policy["MaximumRetryCount"] = int(inputs["maxRetryCount"])
        log_config = None
        if inputs.get("logDriver"):
            log_config = docker.types.LogConfig(
                type=inputs["logDriver"], config=inputs.get("logOpts") or {}
            )
        return self.client.api.create_host_config(
            network_mode=self._resolve_mode(str(inputs.get("networkMode") or "bridge")),
            port_bindings=bindings or None,
            publish_all_ports=bool(inputs.get("publishAllPorts", False)),
            dns=inputs.get("dns") or None,
            dns_opt=inputs.get("dnsOpts") or None,
            dns_search=inputs.get("dnsSearches") or None,
            extra_hosts={h["host"]: h["ip"] for h in inputs.get("hosts") or []} or None,
            cap_add=capabilities.get("adds") or None,
            cap_drop=capabilities.get("drops") or None,
            privileged=bool(inputs.get("privileged", False)),
            restart_policy=restart_policy,
            init=inputs.get("init"),
            mounts=[_mount(m) for m in inputs.get("mounts") or []] or None,
            devices=[
                f"{d['hostPath']}:{d.get('containerPath') or d['hostPath']}:"
                f"{d.get('permissions') or 'rwm'}"
                for d in inputs.get("devices") or []
            ]
            or None,
            sysctls=inputs.get("sysctls") or None,
            ulimits=[
                docker.types.Ulimit(name=u["name"], soft=int(u["soft"]), hard=int(u["hard"]))
                for u in inputs.get("ulimits") or []
            ]
            or None,
            log_config=log_config,
            security_opt=inputs.get("securityOpts") or None,
            read_only=bool(inputs.get("readOnly", False)) or None,
            shm_size=int(inputs["shmSize"]) * _MIB if inputs.get("shmSize") else None,
            mem_limit=int(inputs["memory"]) * _MIB if inputs.get("memory") else None,
            memswap_limit=_mib_or_unlimited(inputs.get("memorySwap")),
            mem_reservation=_mib_or_unlimited(inputs.get("memoryReservation")),
            tmpfs=dict(inputs.get("tmpfs") or {}) or None,
            auto_remove=bool(inputs.get("rm", False)) or None,
            device_requests=[
                docker.types.DeviceRequest(
                    driver=d.get("driver") or "",
                    count=int(d.get("count") or 0),
                    device_ids=list(d.get("deviceIds") or []),
                    capabilities=[list(d.get("capabilities") or [])],
                    options=dict(d.get("options") or {}),
                )
                for d in inputs.get("deviceRequests") or []
            ]
            or None,
            nano_cpus=int(float(inputs["cpus"]) * 10**9) if inputs.get("cpus") else None,
            pid_mode=inputs.get("pidMode") or None,
            ipc_mode=inputs.get("ipcMode") or None,
        )

    def _connect(self, r: Registration, container_id: str, attachments: list[Any]) -> None:
        """Leave `bridge` and join each `networks_advanced` entry, as the provider does."""
        if not attachments:
            return
        api = self.client.api
        try:
            api.disconnect_container_from_network(container_id, "bridge")
        except docker.errors.APIError as error:
            if "is not connected to the network bridge" not in _explain(error):
                raise EngineRefused(r.name, "disconnect from bridge", _explain(error)) from None
        for attachment in attachments:
            network = self._resolve(str(attachment["name"]))
            endpoint: dict[str, Any] = {
                "Aliases": attachment.get("aliases") or None,
                "IPAMConfig": {
                    "IPv4Address": attachment.get("ipv4Address") or None,
                    "IPv6Address": attachment.get("ipv6Address") or None,
                },
                "DriverOpts": dict(str(o).split("=", 1) for o in attachment.get("driverOpts") or [])
                or None,
            }
            if attachment.get("gwPriority") is not None:
                endpoint["GwPriority"] = int(attachment["gwPriority"])
            try:
                # The endpoint config as the provider sends it (docker-py's own call has no
                # gateway priority).
                response = api._post_json(
                    api._url("/networks/{0}/connect", network),
                    data={"Container": container_id, "EndpointConfig": endpoint},
                )
                api._raise_for_status(response)
            except docker.errors.APIError as error:
                raise EngineRefused(
                    r.name, f"connect to {attachment['name']}", _explain(error)
                ) from None

    def _wait_healthy(self, r: Registration, name: str, container_id: str, timeout: float) -> None:
        """Poll until the engine reports the container healthy, as the provider's `wait`."""
        deadline = time.monotonic() + timeout
        status = "(none yet)"
        while time.monotonic() < deadline:
            state = self.client.api.inspect_container(container_id)["State"]
            health = state.get("Health")
            if health is None:
                raise EngineRefused(
                    r.name, "wait healthy", "the container has no health check to wait for"
                )
            status = str(health.get("Status"))
            if status == "healthy":
                self.healthy_at[name] = time.time()
                return
            time.sleep(_HEALTH_POLL_S)
        raise EngineRefused(
            r.name,
            "wait healthy",
            f"container failed to be in healthy state (after {timeout:g} s: {status})",
        )

    def _wait_exit(self, r: Registration, container_id: str) -> None:
        """Wait until the container is no longer running, as the provider's `attach`."""
        try:
            self.client.api.wait(container_id, timeout=_ATTACH_TIMEOUT_S, condition="not-running")
        except Exception as error:  # the SDK raises a requests timeout or an APIError
            raise EngineRefused(r.name, "attach", f"still running: {error}") from None

    def _check_running(self, ordered: Iterable[Registration]) -> None:
        must_run = [
            r
            for r in ordered
            if r.type == CONTAINER
            and r.inputs.get("start", True)
            and r.inputs.get("mustRun", _MUST_RUN_DEFAULT)
        ]
        if not must_run:
            return
        time.sleep(_RUNNING_GRACE_S)
        for r in must_run:
            container = self.containers[_engine_name(r)]
            container.reload()
            if container.status != "running":
                code = container.attrs["State"].get("ExitCode")
                raise EngineRefused(
                    r.name,
                    "must run",
                    f"container failed to be in running state ({container.status}, exit {code})",
                )

    # -- references -----------------------------------------------------------------------

    def _remember(self, r: Registration, engine_ref: str, engine_name: str) -> None:
        if r.id:
            self._ids[r.id] = engine_ref
        self._ids[r.urn] = engine_ref
        self._ids.setdefault(engine_name, engine_ref)

    def _resolve(self, value: str) -> str:
        if value == UNKNOWN:
            raise UntranslatedInput("(reference)", "value", value, "unknown, so not usable")
        return self._ids.get(value, value)

    def _resolve_mode(self, mode: str) -> str:
        if mode.startswith("container:") and mode != "container:":
            return "container:" + self._resolve(mode[len("container:") :])
        return mode

    # -- queries for tests ----------------------------------------------------------------

    def container(self, name: str) -> Any:
        """The docker Container created under engine name `name` (reloaded)."""
        container = self.containers[name]
        container.reload()
        return container


# -- translation checks -------------------------------------------------------------------

_NETWORK_KEYS = {
    "name", "driver", "internal", "ipamConfigs", "ipamDriver", "ipv6", "labels", "options",
    "attachable", "ingress",
}  # fmt: skip
_IPAM_KEYS = {"subnet", "gateway", "ipRange", "auxAddress"}
_VOLUME_KEYS = {"name", "driver", "driverOpts", "labels"}
_CONTAINER_KEYS = {
    "name", "image", "command", "entrypoint", "entrypoints", "envs", "labels", "ports",
    "networkMode", "networksAdvanced", "hostname", "domainname", "dns", "dnsOpts",
    "dnsSearches", "hosts",
    "capabilities", "privileged", "restart", "maxRetryCount", "mustRun", "healthcheck",
    "publishAllPorts", "user", "workingDir", "tty", "stdinOpen", "start", "init",
    "wait", "waitTimeout", "attach", "mounts", "uploads", "devices", "sysctls", "ulimits",
    "volumes", "usernsMode", "deviceCgroupRules", "groupAdds",
    "logDriver", "logOpts", "stopSignal", "stopTimeout", "securityOpts", "readOnly",
    "shmSize", "memory", "cpus", "pidMode", "ipcMode", "memorySwap", "memoryReservation",
    "tmpfs", "rm", "platform", "deviceRequests",
}  # fmt: skip
_MOUNT_KEYS = {
    "type", "source", "target", "readOnly", "bindOptions", "volumeOptions", "tmpfsOptions",
}  # fmt: skip
_MOUNT_OPTION_KEYS = {
    "bindOptions": {"propagation"},
    "volumeOptions": {"noCopy", "labels", "driverName", "driverOptions"},
    "tmpfsOptions": {"sizeBytes", "mode"},
}
_VOLUME_ENTRY_KEYS = {"hostPath", "containerPath", "volumeName", "fromContainer", "readOnly"}
_TMPFS_KEYS = {"sizeBytes", "mode"}
_UPLOAD_KEYS = {"file", "content", "contentBase64", "executable", "permissions", "owner", "group"}
_DEVICE_KEYS = {"hostPath", "containerPath", "permissions"}
_ULIMIT_KEYS = {"name", "soft", "hard"}
_ATTACHMENT_KEYS = {"name", "aliases", "ipv4Address", "ipv6Address", "gwPriority", "driverOpts"}
_PORT_KEYS = {"internal", "external", "ip", "protocol"}
_HEALTH_KEYS = {"tests", "interval", "timeout", "retries", "startPeriod"}
_IMAGE_KEYS = {"name", "keepLocally", "platform"}
_SERVICE_KEYS = {
    "name", "labels", "mode", "taskSpec", "endpointSpec", "updateConfig", "rollbackConfig",
    "convergeConfig",
}  # fmt: skip
_TASK_KEYS = {
    "containerSpec", "networksAdvanceds", "placement", "resources", "restartPolicy", "logDriver",
}  # fmt: skip
_SERVICE_CONTAINER_KEYS = {
    "image", "commands", "args", "env", "labels", "hostname", "user", "dir", "init",
    "stopSignal", "stopGracePeriod", "readOnly", "sysctl", "capAdds", "capDrops", "hosts",
    "healthcheck", "mounts", "secrets", "dnsConfig",
}  # fmt: skip
_SCHEDULE_KEYS = {"parallelism", "delay", "failureAction", "monitor", "maxFailureRatio", "order"}
_SERVICE_PARTS: tuple[tuple[str, set[str]], ...] = (
    ("mode", {"replicated", "global"}),
    ("mode.replicated", {"replicas"}),
    ("endpointSpec", {"mode", "ports"}),
    ("endpointSpec.ports[]", {"name", "protocol", "targetPort", "publishedPort", "publishMode"}),
    ("updateConfig", _SCHEDULE_KEYS),
    ("rollbackConfig", _SCHEDULE_KEYS),
    ("convergeConfig", {"delay", "timeout"}),
    ("taskSpec", _TASK_KEYS),
    ("taskSpec.containerSpec", _SERVICE_CONTAINER_KEYS),
    ("taskSpec.containerSpec.secrets[]",
     {"secretId", "secretName", "fileName", "fileUid", "fileGid", "fileMode"}),
    ("taskSpec.containerSpec.hosts[]", {"host", "ip"}),
    ("taskSpec.containerSpec.healthcheck", _HEALTH_KEYS),
    ("taskSpec.containerSpec.dnsConfig", {"nameservers", "searches", "options"}),
    ("taskSpec.containerSpec.mounts[]", _MOUNT_KEYS),
    *((f"taskSpec.containerSpec.mounts[].{key}", known)
      for key, known in _MOUNT_OPTION_KEYS.items()),
    ("taskSpec.networksAdvanceds[]", {"id", "name", "aliases", "driverOpts"}),
    ("taskSpec.placement", {"constraints", "maxReplicas"}),
    ("taskSpec.resources", {"limits", "reservation"}),
    ("taskSpec.resources.limits", {"nanoCpus", "memoryBytes"}),
    ("taskSpec.resources.reservation", {"nanoCpus", "memoryBytes"}),
    ("taskSpec.restartPolicy", {"condition", "delay", "maxAttempts", "window"}),
    ("taskSpec.logDriver", {"name", "options"}),
)  # fmt: skip
"""Each part of a service's inputs (`[]`: every item of a list) and the keys translated there."""


def _check_inputs(r: Registration) -> None:
    """Raise `UntranslatedInput` for any input of `r` this module does not create faithfully."""
    if r.type == NETWORK:
        _only(r, "", r.inputs, _NETWORK_KEYS)
        for i, cfg in enumerate(r.inputs.get("ipamConfigs") or []):
            _only(r, f"ipamConfigs[{i}].", cfg, _IPAM_KEYS)
        if r.inputs.get("ingress"):
            raise UntranslatedInput(r.name, "ingress", True, "swarm-only, not translated")
    elif r.type == CONTAINER:
        _only(r, "", r.inputs, _CONTAINER_KEYS)
        for i, att in enumerate(r.inputs.get("networksAdvanced") or []):
            _only(r, f"networksAdvanced[{i}].", att, _ATTACHMENT_KEYS)
        for i, port in enumerate(r.inputs.get("ports") or []):
            _only(r, f"ports[{i}].", port, _PORT_KEYS)
        health = r.inputs.get("healthcheck")
        if health:
            _only(r, "healthcheck.", health, _HEALTH_KEYS)
        caps = r.inputs.get("capabilities")
        if caps:
            _only(r, "capabilities.", caps, {"adds", "drops"})
        for i, mount in enumerate(r.inputs.get("mounts") or []):
            _only(r, f"mounts[{i}].", mount, _MOUNT_KEYS)
            for key, known in _MOUNT_OPTION_KEYS.items():
                _only(r, f"mounts[{i}].{key}.", mount.get(key) or {}, known)
        for i, volume in enumerate(r.inputs.get("volumes") or []):
            _only(r, f"volumes[{i}].", volume, _VOLUME_ENTRY_KEYS)
        for i, upload in enumerate(r.inputs.get("uploads") or []):
            _only(r, f"uploads[{i}].", upload, _UPLOAD_KEYS)
            for key in ("owner", "group"):
                if upload.get(key) and not str(upload[key]).isdigit():
                    raise UntranslatedInput(
                        r.name, f"uploads[{i}].{key}", upload[key], "a name (not a number), so not"
                    )
        for i, device in enumerate(r.inputs.get("devices") or []):
            _only(r, f"devices[{i}].", device, _DEVICE_KEYS)
        for i, ulimit in enumerate(r.inputs.get("ulimits") or []):
            _only(r, f"ulimits[{i}].", ulimit, _ULIMIT_KEYS)
        if r.inputs.get("logOpts") and not r.inputs.get("logDriver"):
            raise UntranslatedInput(r.name, "logOpts", r.inputs["logOpts"], "without logDriver")
        if "image" not in r.inputs:
            raise UntranslatedInput(r.name, "image", None, "missing, so not translated")
    elif r.type == SERVICE:
        _only(r, "", r.inputs, _SERVICE_KEYS)
        for part, known in _SERVICE_PARTS:
            for prefix, value in _parts(r.inputs, part):
                _only(r, prefix, value, known)
    elif r.type == SECRET:
        _only(r, "", r.inputs, {"name", "data", "labels"})
    elif r.type == VOLUME:
        _only(r, "", r.inputs, _VOLUME_KEYS)
    elif r.type == REMOTE_IMAGE:
        _only(r, "", r.inputs, _IMAGE_KEYS)
    elif r.type.startswith("pulumi:providers:"):
        if any(v not in (None, "", [], {}, False) for k, v in r.inputs.items() if k != "version"):
            raise UntranslatedInput(
                r.name, "provider", r.inputs, "a provider setting, not translated"
            )
    elif r.custom:
        raise UntranslatedInput(r.name, "type", r.type, "a resource type not translated")


def _parts(inputs: Mapping[str, Any], path: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The values at `path` in `inputs` (`a.b[].c`: `[]` steps into every item of a list), each
    with the prefix that names it (`a.b[0].c.`); parts that are not set are left out."""
    found: list[tuple[str, Any]] = [("", inputs)]
    for step in path.split("."):
        key = step.removesuffix("[]")
        deeper: list[tuple[str, Any]] = []
        for where, value in found:
            child = value.get(key) if isinstance(value, Mapping) else None
            if not child:
                continue
            if step.endswith("[]"):
                deeper += [(f"{where}{key}[{i}].", item) for i, item in enumerate(child)]
            else:
                deeper.append((f"{where}{key}.", child))
        found = deeper
    return [(where, value) for where, value in found if isinstance(value, Mapping)]


def _only(r: Registration, prefix: str, inputs: Mapping[str, Any], known: set[str]) -> None:
    for key, value in inputs.items():
        if value == UNKNOWN:
            raise UntranslatedInput(r.name, prefix + key, value, "unknown, so not usable")
        if key in known:
            continue
        if value in (None, "", [], {}, False):
            continue  # an unset input, as the provider would see it
        raise UntranslatedInput(r.name, prefix + key, value)


def _revealed(r: Registration) -> Registration:
    """`r` with every secret input as its plain value, as the provider receives it."""

    def reveal(value: Any) -> Any:
        if isinstance(value, dict):
            if SECRET_SIG in value:
                return reveal(value.get("value"))
            return {key: reveal(item) for key, item in value.items()}
        if isinstance(value, list):
            return [reveal(item) for item in value]
        return value

    return replace(r, inputs=reveal(r.inputs))


def _mount(mount: Mapping[str, Any]) -> docker.types.Mount:
    tmpfs = mount.get("tmpfsOptions") or {}
    return docker.types.Mount(
        target=str(mount["target"]),
        source=mount.get("source") or None,
        type=str(mount.get("type") or "volume"),
        read_only=bool(mount.get("readOnly", False)),
        tmpfs_size=int(tmpfs["sizeBytes"]) if tmpfs.get("sizeBytes") else None,
        tmpfs_mode=int(tmpfs["mode"]) if tmpfs.get("mode") else None,
    )


def _upload_tar(upload: Mapping[str, Any]) -> bytes:
    """One upload as the provider writes it: a tar of the single file, copied to `/`."""
    if upload.get("contentBase64"):
        data = base64.b64decode(str(upload["contentBase64"]))
    else:
        data = str(upload.get("content") or "").encode("utf-8")
    if upload.get("permissions"):
        mode = int(str(upload["permissions"]), 8)
    else:
        mode = 0o744 if upload.get("executable") else 0o644
    entry = tarfile.TarInfo(str(upload["file"]))
    entry.size = len(data)
    entry.mode = mode
    entry.mtime = int(time.time())
    entry.uid = int(upload.get("owner") or 0)
    entry.gid = int(upload.get("group") or 0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.addfile(entry, io.BytesIO(data))
    return buffer.getvalue()


def _engine_name(r: Registration) -> str:
    return str(r.inputs.get("name") or r.name)


def _labels(labels: Any) -> dict[str, str] | None:
    if not labels:
        return None
    if isinstance(labels, Mapping):
        return {str(k): str(v) for k, v in labels.items()}
    return {str(item["label"]): str(item["value"]) for item in labels}


def _service_healthcheck(resource: str, health: Any) -> dict[str, Any] | None:
    """A healthcheck as the swarm API spells it (the container API's keys, capitalised)."""
    converted = _healthcheck(resource, health)
    if converted is None:
        return None
    names = {"start_period": "StartPeriod"}
    return {names.get(k, k.capitalize()): v for k, v in converted.items()}


def _restart(resource: str, policy: Any) -> dict[str, Any] | None:
    if not policy:
        return None
    result: dict[str, Any] = {"Condition": policy.get("condition") or "any"}
    for key, wire in (("Delay", "delay"), ("Window", "window")):
        ns = _duration_ns(resource, f"restartPolicy.{wire}", policy.get(wire))
        if ns is not None:
            result[key] = ns
    if policy.get("maxAttempts") is not None:
        result["MaxAttempts"] = int(policy["maxAttempts"])
    return result


def _update(resource: str, config: Any) -> dict[str, Any] | None:
    if not config:
        return None
    result: dict[str, Any] = {
        "Parallelism": int(config.get("parallelism") or 0),
        "FailureAction": config.get("failureAction") or "pause",
        "MaxFailureRatio": float(config.get("maxFailureRatio") or 0),
        "Order": config.get("order") or "stop-first",
    }
    for key, wire in (("Delay", "delay"), ("Monitor", "monitor")):
        ns = _duration_ns(resource, f"updateConfig.{wire}", config.get(wire))
        if ns is not None:
            result[key] = ns
    return result


def _duration_ns(resource: str, prop: str, text: Any) -> int | None:
    if text in (None, ""):
        return None
    pieces = _DURATION.findall(str(text))
    if not pieces or "".join(n + u for n, u in pieces) != str(text):
        raise UntranslatedInput(resource, prop, text, "not a Go duration, so not translated")
    return int(sum(float(n) * _DURATION_NS[u] for n, u in pieces))


def _healthcheck(resource: str, health: Any) -> dict[str, Any] | None:
    if not health:
        return None
    result: dict[str, Any] = {"test": list(health.get("tests") or [])}
    durations = (("interval", "interval"), ("timeout", "timeout"), ("start_period", "startPeriod"))
    for key, wire in durations:
        ns = _duration_ns(resource, f"healthcheck.{wire}", health.get(wire))
        if ns is not None:
            result[key] = ns
    if health.get("retries") is not None:
        result["retries"] = int(health["retries"])
    return result


def _explain(error: docker.errors.APIError) -> str:
    explanation = error.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or error)


# -- ordering -----------------------------------------------------------------------------


def dependency_order(resources: Sequence[Registration]) -> list[Registration]:
    """The custom resources of `resources`, each after everything it depends on.

    A dependency on a component means a dependency on every custom resource under it, as in
    Pulumi. Ties keep registration order. A cycle raises ValueError.
    """
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[str]] = {}
    for r in resources:
        children.setdefault(r.parent, []).append(r.urn)

    def customs_under(urn: str) -> set[str]:
        found: set[str] = set()
        stack = [urn]
        while stack:
            current = stack.pop()
            reg = by_urn.get(current)
            if reg is not None and reg.custom:
                found.add(current)
            stack.extend(children.get(current, []))
        return found

    def ancestors(r: Registration) -> set[str]:
        seen: set[str] = set()
        parent = r.parent
        while parent and parent not in seen:
            seen.add(parent)
            parent = by_urn[parent].parent if parent in by_urn else ""
        return seen

    customs = [r for r in resources if r.custom]
    custom_urns = {r.urn for r in customs}
    needs: dict[str, set[str]] = {}
    for r in customs:
        deps: set[str] = set()
        direct = set(r.dependencies)
        for prop_deps in r.property_dependencies.values():
            direct.update(prop_deps)
        skip = ancestors(r)
        for dep in direct - skip:
            deps |= customs_under(dep)
        deps.discard(r.urn)
        needs[r.urn] = deps & custom_urns

    ordered: list[Registration] = []
    done: set[str] = set()
    pending = list(customs)
    while pending:
        ready = [r for r in pending if needs[r.urn] <= done]
        if not ready:
            names = ", ".join(r.name for r in pending)
            raise ValueError(f"dependency cycle among: {names}")
        first = ready[0]
        ordered.append(first)
        done.add(first.urn)
        pending.remove(first)
    return ordered


def _mib_or_unlimited(value: Any) -> int | None:
    """A MiB input in bytes, as the provider sends it (-1, unlimited, stays -1; 0 is unset)."""
    if not value:
        return None
    return -1 if int(value) == -1 else int(value) * _MIB


def _device(device: Mapping[str, Any]) -> dict[str, str]:
    host = str(device["hostPath"])
    inside = str(device.get("containerPath") or "")
    permissions = str(device.get("permissions") or "")
    if not inside:  # the provider's switch falls through: permissions become rwm
        inside, permissions = host, "rwm"
    elif not permissions:
        permissions = "rwm"
    return {"PathOnHost": host, "PathInContainer": inside, "CgroupPermissions": permissions}
