"""Compose's normalised model -> a `topology` value: the same services, networks, volumes and
secrets, checked by the same loader as a stack's own config.

The input is what Docker Compose v2 itself printed (`config --format json`), so
interpolation, `.env`, extends, profiles and defaults are already settled; this module only
renames. Compose's conventions are kept: containers are `<project>-<service>-1` unless
`container_name` is set, every service answers to its service name on each of its networks,
restart defaults to "no" and ports are published on every interface unless `host_ip` says
otherwise. A service with `network_mode: service:<owner>` becomes a sidecar of its owner.

With the swarm target, it follows `docker stack deploy`: services are swarm services named
`<project>_<service>` (answering to the service key on each network), networks are overlays
unless a driver is given, `deploy:` becomes the services' swarm settings, and restart is the
swarm's (`any`) unless the file gives one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..problems import ContainerCommsError, Location, Problem, problem_lines
from ..services import wire
from ..vocabulary import NETWORK_MODES, target_drivers
from .targets import TARGETS, StackTarget

_HEALTH_DEFAULTS = {"interval": "30s", "timeout": "30s", "start_period": "0s", "retries": 3}
"""The engine's own defaults, which compose leaves to it."""


NO_IPV6_POOL = (
    'true without an IPv6 subnet: the engine refuses to create the network ("could not find '
    "an available, non-overlapping IPv6 address pool among the defaults to assign to the "
    'network") unless its default-address-pools hold an IPv6 pool; give an IPv6 subnet in '
    "ipam.config"
)
"""Why `enable_ipv6: true` needs an IPv6 subnet (the engine's own refusal, quoted)."""


class ComposeMappingError(ContainerCommsError):
    """Parts of a compose model the service model cannot express, one problem each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(problem_lines("", problems)))
        self.problems = tuple(problems)


def compose_topology(
    model: Mapping[str, Any],
    file: str,
    target: str = "engine",
    advisories: list[Problem] | None = None,
) -> dict[str, Any]:
    """The `topology` value equivalent to compose's normalised `model` of `file`, deployed on
    `target` (`engine` or `swarm`).

    Raises `ComposeMappingError` naming file, service and key for what cannot be expressed;
    what is deployed with a difference that depends on a key's value is added to `advisories`
    (the differences of whole keys are in `compose_keys.KEYS`).
    """
    placed = _COMPOSE_TARGETS[target]
    notes: list[Problem] = []
    project = str(model.get("name") or "")
    services: Mapping[str, Any] = model.get("services") or {}
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for key, service in services.items():
        mode = service.get("network_mode") or ""
        if mode.startswith("service:"):
            owners[key] = mode.removeprefix("service:")
    topology: dict[str, Any] = {
        "target": target,
        "application": project or "app",
        "networks": {
            key: _network(net, ("networks", key), problems, placed)
            for key, net in (model.get("networks") or {}).items()
        },
        "volumes": {key: _volume(vol) for key, vol in (model.get("volumes") or {}).items()},
        "secrets": {
            key: _secret(sec, ("secrets", key), problems)
            for key, sec in (model.get("secrets") or {}).items()
            if placed.swarm_secrets or not sec.get("file")  # else compose mounts the file
        },
        "configs": {
            key: _config(conf, ("configs", key), problems)
            for key, conf in (model.get("configs") or {}).items()
        },
        "services": {},
    }
    for key, service in services.items():
        at = ("services", key)
        if key in owners:
            continue
        topology["services"][key] = _service(
            project, key, service, at, known=services, owners=owners, problems=problems
        )
        _merge(
            topology["services"][key],
            file_references(
                model, service, at, swarm=placed.swarm_secrets, problems=problems, warnings=notes
            ),
        )
        _pull(service, (*at, "pull_policy"), topology["services"][key], notes)
        placed.service(project, key, service, at, out=topology["services"][key], problems=problems)
    for key, owner in owners.items():
        at = ("services", key)
        if owner not in topology["services"]:
            reason = (
                f'"{owner}" is itself joined to another service; join the owner of that '
                "namespace instead"
                if owner in owners
                else f'"{owner}" is not a service of this file'
            )
            problems.append(Problem((*at, "network_mode"), reason))
            continue
        sidecar = _container(project, key, services[key], at, problems)
        _merge(
            sidecar,
            file_references(
                model,
                services[key],
                at,
                swarm=placed.swarm_secrets,
                problems=problems,
                warnings=notes,
            ),
        )
        _pull(services[key], (*at, "pull_policy"), sidecar, notes)
        _engine_deploy(services[key], at, sidecar, problems)
        depends = _depends_on(services[key], at, owners, problems, services)
        depends.pop(owner, None)
        if depends:
            sidecar["depends_on"] = depends
        topology["services"][owner].setdefault("sidecars", {})[
            _container_name(project, key, services[key])
        ] = sidecar
    if placed.links:
        _links(services, topology["services"], owners, problems)
    if advisories is not None:
        advisories += [note.in_file(file) for note in notes]
    if problems:
        raise ComposeMappingError([problem.in_file(file) for problem in problems])
    return topology


_PULL_AGAIN = {
    "always": "on every `docker compose up`",
    "daily": "once a day",
    "weekly": "once a week",
    "refresh": "on every `docker compose up`",
}


def _pull(
    service: Mapping[str, Any], at: Location, out: dict[str, Any], notes: list[Problem]
) -> None:
    """`pull_policy` as the image set's pull setting: `never` uses the engine's copy, `build`
    builds (the service's `build:`), every other value pulls when the image is missing; a
    policy that pulls again later is an advisory, since the provider pulls once."""
    policy = str(service.get("pull_policy") or "")
    if not policy or policy == "build":
        return
    if policy == "never":
        out["pull"] = False
        return
    if "build" not in out:
        out["pull"] = True
    again = _PULL_AGAIN.get(policy) or (
        f"every {policy.removeprefix('every_')}" if policy.startswith("every_") else None
    )
    if again is not None:
        notes.append(
            Problem(
                at,
                f'"{policy}": the image is pulled when the plan first needs it, and again only '
                f"when its name changes or it is gone from the engine; compose pulls it again "
                f"{again}",
            )
        )


_RESTART_CONDITIONS = {"any": "always", "on-failure": "on-failure", "none": "no"}


def _engine_service(
    project: str,
    key: str,
    service: Mapping[str, Any],
    at: Location,
    *,
    out: dict[str, Any],
    problems: list[Problem],
) -> None:
    """A mapped service as `docker compose up` runs it on one engine: a container, with what
    it applies of `deploy:`."""
    _engine_deploy(service, at, out, problems)


def _engine_deploy(
    service: Mapping[str, Any], service_at: Location, out: dict[str, Any], problems: list[Problem]
) -> None:
    """What `docker compose up` applies of `deploy:` to a plain container (the service at
    `service_at`): resource limits and reservations, the restart condition and one replica; the
    swarm's other keys do nothing on one engine (compose ignores them), so they map to nothing."""
    deploy = service.get("deploy") or {}
    at = (*service_at, "deploy")
    for where, count in (
        ((*at, "replicas"), deploy.get("replicas")),
        ((*service_at, "scale"), service.get("scale")),
    ):
        if count is not None and count != 1:
            problems.append(
                Problem(
                    where,
                    f"{count} containers: container-comms deploys one container per service on "
                    "one engine; remove it, or set composeTarget to swarm",
                )
            )
    resources = deploy.get("resources") or {}
    limits = resources.get("limits") or {}
    reservations = resources.get("reservations") or {}
    if limits.get("memory") not in (None, "", 0, "0"):
        out["memory"] = _mib(limits["memory"])
    if limits.get("cpus") not in (None, 0):
        out["cpus"] = f"{float(limits['cpus']):g}"
    if reservations.get("memory") not in (None, "", 0, "0"):
        out["memory_reservation"] = _mib(reservations["memory"])
    requests = [_device_request(d) for d in reservations.get("devices") or []]
    if requests:
        out["device_requests"] = [*out.get("device_requests", []), *requests]
    condition = (deploy.get("restart_policy") or {}).get("condition")
    if condition is not None:
        if condition in _RESTART_CONDITIONS:
            out["restart"] = _RESTART_CONDITIONS[condition]
        else:
            problems.append(
                Problem(
                    (*at, "restart_policy", "condition"),
                    f"{_quoted(condition)} is not a restart condition; use any, on-failure or none",
                )
            )


def _links(
    services: Mapping[str, Any],
    mapped: dict[str, Any],
    owners: Mapping[str, str],
    problems: list[Problem],
) -> None:
    """`links: [db:database]` as compose makes them on user-defined networks: the linking
    container resolves `database` (and `db-1`) to db. The provider has no links, so the names
    become aliases of the linked service on every network the two share (an advisory says so)."""
    for key, service in services.items():
        for index, link in enumerate(service.get("links") or []):
            at = ("services", key, "links", index)
            target, _, name = str(link).partition(":")
            name = name or target
            linker = mapped.get(owners.get(key, key)) or {}
            linked = mapped.get(owners.get(target, target))
            if linked is None:
                problems.append(Problem(at, f"{_quoted(target)} is not a service of this file"))
                continue
            shared = [
                n for n in linked.get("networks") or {} if n in (linker.get("networks") or {})
            ]
            if not shared:
                problems.append(
                    Problem(
                        at,
                        f"{_quoted(key)} and {_quoted(target)} share no network, so the link "
                        "name cannot resolve; put both on one network",
                    )
                )
                continue
            for net in shared:
                aliases = linked["networks"][net]["aliases"]
                for alias in (name, f"{target}-1"):
                    if alias not in aliases:
                        aliases.append(alias)


def _mib(value: Any) -> int:
    """Bytes (as compose writes them, a number or a string of digits) as MiB, rounded up."""
    return -(-int(value) // (1024 * 1024))


def _quoted(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _swarm_service(
    project: str,
    key: str,
    service: Mapping[str, Any],
    at: Location,
    *,
    out: dict[str, Any],
    problems: list[Problem],
) -> None:
    """Turn a mapped service into a swarm service, as `docker stack deploy` names and runs it."""
    out["container_name"] = f"{project}_{key}" if project else key
    for path, options in (out.pop("tmpfs", None) or {}).items():
        out.setdefault("mounts", []).append(_swarm_tmpfs(path, options, (*at, "tmpfs"), problems))
    if not service.get("restart"):
        out.pop("restart", None)  # the swarm's own default: restart on any exit
    deploy = service.get("deploy") or {}
    if deploy:
        out["deploy"] = _deploy(deploy)


def _deploy(deploy: Mapping[str, Any]) -> dict[str, Any]:
    """Compose's `deploy:` as the service's swarm settings (keys outside `SUPPORTED` were
    refused before mapping)."""
    out: dict[str, Any] = {}
    for name in ("mode", "replicas", "endpoint_mode", "labels"):
        if deploy.get(name) is not None:
            out[name] = deploy[name]
    placement = deploy.get("placement") or {}
    if placement.get("constraints"):
        out["constraints"] = list(placement["constraints"])
    if placement.get("max_replicas_per_node"):
        out["max_replicas_per_node"] = placement["max_replicas_per_node"]
    for source, target in (("update_config", "update"), ("rollback_config", "rollback")):
        policy = deploy.get(source)
        if policy:
            out[target] = {
                k: policy[k]
                for k in (
                    "parallelism",
                    "delay",
                    "failure_action",
                    "monitor",
                    "max_failure_ratio",
                    "order",
                )
                if policy.get(k) is not None
            }
    resources = deploy.get("resources") or {}
    for source, target in (("limits", "limits"), ("reservations", "reservations")):
        given = resources.get(source) or {}
        mapped: dict[str, Any] = {}
        if given.get("cpus") is not None:
            mapped["cpus"] = f"{float(given['cpus']):g}"
        if given.get("memory") not in (None, "", 0):
            mapped["memory"] = -(-int(given["memory"]) // (1024 * 1024))
        if mapped:
            out[target] = mapped
    restart = deploy.get("restart_policy")
    if restart:
        out["restart_policy"] = {
            k: restart[k]
            for k in ("condition", "delay", "max_attempts", "window")
            if restart.get(k) is not None
        }
    return out


def _container_name(project: str, key: str, service: Mapping[str, Any]) -> str:
    return str(service.get("container_name") or f"{project}-{key}-1")


def _service(
    project: str,
    key: str,
    service: Mapping[str, Any],
    at: Location,
    *,
    known: Mapping[str, Any],
    owners: Mapping[str, str],
    problems: list[Problem],
) -> dict[str, Any]:
    out = _container(project, key, service, at, problems)
    out["container_name"] = _container_name(project, key, service)
    mode = service.get("network_mode")
    networks = service.get("networks") or {}
    if mode in NETWORK_MODES:
        out["network_mode"] = mode
    elif mode:
        problems.append(
            Problem(
                (*at, "network_mode"),
                f'"{mode}" is not supported; use networks, host, none, bridge or service:<name>',
            )
        )
    else:
        out["networks"] = {
            net: {
                "aliases": [key, *((attachment or {}).get("aliases") or [])],
                **{
                    k: (attachment or {})[k]
                    for k in ("ipv4_address", "ipv6_address", "interface_name")
                    if (attachment or {}).get(k)
                },
                **(
                    {"gw_priority": int((attachment or {})["gw_priority"])}
                    if (attachment or {}).get("gw_priority") is not None
                    else {}
                ),
            }
            for net, attachment in networks.items()
        }
    ipc = out.get("ipc_mode")
    if isinstance(ipc, str) and ipc.startswith("service:"):
        # As compose does: the IPC namespace of that service's container, never the raw
        # `service:` form, which the engine refuses ("Invalid IPC mode: service:x").
        donor = ipc.removeprefix("service:")
        if donor in known and donor != key:
            out["ipc_mode"] = f"container:{_container_name(project, donor, known[donor])}"
        else:
            problems.append(
                Problem((*at, "ipc"), f"{json.dumps(donor)} is not another service of this file")
            )
    depends = _depends_on(service, at, owners, problems, known)
    if depends:
        out["depends_on"] = depends
    return out


def _depends_on(
    service: Mapping[str, Any],
    at: Location,
    owners: Mapping[str, str],
    problems: list[Problem],
    known: Mapping[str, Any],
) -> dict[str, str]:
    depends: dict[str, str] = {}
    for other, how in (service.get("depends_on") or {}).items():
        if (how or {}).get("required") is False and other not in known:
            continue  # compose skips an optional dependency that is not in the model
        if other in owners:
            problems.append(
                Problem(
                    (*at, "depends_on", other),
                    f'"{other}" shares the namespace of "{owners[other]}"; depend on '
                    f'"{owners[other]}" instead',
                )
            )
            continue
        depends[other] = (how or {}).get("condition") or "service_started"
    return depends


def _container(
    project: str,
    key: str,
    service: Mapping[str, Any],
    at: Location,
    problems: list[Problem],
) -> dict[str, Any]:
    """The container keys shared by services and sidecars."""
    out: dict[str, Any] = {"restart": service.get("restart") or "no"}
    build = service.get("build")
    if build:
        out["image"] = service.get("image") or f"{project}-{key}"
        out["build"] = {
            k: build[k] for k in ("context", "dockerfile", "args", "target") if build.get(k)
        }
    else:
        out["image"] = service.get("image") or ""
    for name in ("tty", "stdin_open"):
        if service.get(name):
            out[name] = True
    if service.get("platform"):
        out["platform"] = str(service["platform"])
    for source, target in (("command", "command"), ("entrypoint", "entrypoint")):
        if service.get(source):
            value = service[source]
            out[target] = value if isinstance(value, list) else ["/bin/sh", "-c", value]
    env = {k: v for k, v in (service.get("environment") or {}).items() if v is not None}
    if env:
        out["env"] = env
    ports = [
        _port(p, (*at, "ports", i), problems) for i, p in enumerate(service.get("ports") or [])
    ]
    if ports:
        out["ports"] = ports  # on a sidecar, the loader refuses them with the reason
    if service.get("expose"):
        out["expose"] = [str(p) for p in service["expose"]]
    health = service.get("healthcheck")
    if health:
        _healthcheck(health, (*at, "healthcheck"), out, problems)
    if service.get("labels"):
        out["labels"] = dict(service["labels"])
    for source, target in (("cap_add", "capabilities_add"), ("cap_drop", "capabilities_drop")):
        if service.get(source):
            out[target] = list(service[source])
    _options(service, at, problems, out)
    return out


def _options(
    service: Mapping[str, Any], at: Location, problems: list[Problem], out: dict[str, Any]
) -> None:
    """The process, limits and security keys of a container, added to `out`."""
    for name in ("hostname", "user", "working_dir", "stop_signal", "cpus", "ipc"):
        if service.get(name) not in (None, ""):
            out["ipc_mode" if name == "ipc" else name] = str(service[name])
    for name in ("init", "privileged", "read_only"):
        if service.get(name):
            out[name] = True
    if service.get("pid"):
        out["pid_mode"] = service["pid"]
    if service.get("dns"):
        dns = service["dns"]
        out["dns"] = dns if isinstance(dns, list) else [dns]
    if service.get("extra_hosts"):
        out["extra_hosts"] = _extra_hosts(service["extra_hosts"])
    if service.get("sysctls"):
        out["sysctls"] = {k: str(v) for k, v in service["sysctls"].items()}
    if service.get("ulimits"):
        out["ulimits"] = {
            name: {"soft": v, "hard": v}
            if isinstance(v, int)
            else {"soft": v.get("soft", v.get("single")), "hard": v.get("hard", v.get("single"))}
            for name, v in service["ulimits"].items()
        }
    if service.get("logging"):
        logging = service["logging"]
        out["logging"] = {
            k: v
            for k, v in (("driver", logging.get("driver")), ("options", logging.get("options")))
            if v
        }
    if service.get("stop_grace_period"):
        out["stop_grace_period"] = _seconds(
            service["stop_grace_period"], (*at, "stop_grace_period"), problems
        )
    if service.get("security_opt"):
        out["security_opt"] = list(service["security_opt"])
    for source, target in (("shm_size", "shm_size"), ("mem_limit", "memory")):
        if service.get(source) not in (None, "", 0):
            out[target] = -(-int(service[source]) // (1024 * 1024))
    if service.get("devices"):
        out["devices"] = [_device(d) for d in service["devices"]]
    if service.get("gpus"):
        # As compose asks them: each entry's capabilities plus `gpu`.
        out["device_requests"] = [_device_request(g, gpu=True) for g in service["gpus"]]
    for index, volume in enumerate(service.get("volumes") or []):
        kind = volume.get("type") or "volume"
        if kind not in ("bind", "volume", "tmpfs"):
            problems.append(
                Problem(
                    (*at, "volumes", index, "type"),
                    f"{_quoted(kind)} is not supported by container-comms (it takes bind, "
                    "volume, tmpfs); change it, or deploy this file with docker compose",
                )
            )
    mounts = [_mount(v) for v in service.get("volumes") or []]
    if mounts:
        out["mounts"] = mounts
    tmpfs = service.get("tmpfs") or []
    if tmpfs:
        out["tmpfs"] = _tmpfs(tmpfs if isinstance(tmpfs, list) else [tmpfs], at, problems)


def _port(port: Mapping[str, Any], at: Location, problems: list[Problem]) -> dict[str, Any]:
    published = str(port.get("published") or "")
    out: dict[str, Any] = {
        "internal": int(port["target"]),
        "host_ip": port.get("host_ip") or "0.0.0.0",
        "protocol": port.get("protocol") or "tcp",
    }
    if port.get("mode") == "host":
        out["mode"] = "host"
    if "-" in published:
        problems.append(
            Problem(at, f'the port range "{published}" is not supported; list each port')
        )
    elif published:
        out["external"] = int(published)
    return out


def _device_request(device: Mapping[str, Any], gpu: bool = False) -> dict[str, Any]:
    """A compose device reservation (or `gpus` entry) as the engine's device request."""
    count = device.get("count")
    out: dict[str, Any] = {
        "capabilities": [*(device.get("capabilities") or []), *(["gpu"] if gpu else [])],
    }
    if device.get("driver"):
        out["driver"] = str(device["driver"])
    if count is not None:
        out["count"] = -1 if count == "all" else int(count)
    if device.get("device_ids"):
        out["device_ids"] = [str(i) for i in device["device_ids"]]
    if device.get("options"):
        out["options"] = {str(k): str(v) for k, v in device["options"].items()}
    return out


def _extra_hosts(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {h: (ips[0] if isinstance(ips, list) else str(ips)) for h, ips in value.items()}
    hosts = {}
    for entry in value:
        host, _, ip = str(entry).replace("=", ":", 1).partition(":")
        hosts[host] = ip
    return hosts


def _device(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {
            "host_path": value.get("source"),
            "container_path": value.get("target") or value.get("source"),
            "permissions": value.get("permissions") or "rwm",
        }
    parts = str(value).split(":")
    return {
        "host_path": parts[0],
        "container_path": parts[1] if len(parts) > 1 else parts[0],
        "permissions": parts[2] if len(parts) > 2 else "rwm",
    }


def _mount(volume: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": volume.get("type") or "volume", "target": volume["target"]}
    if volume.get("source"):
        out["source"] = volume["source"]
    if volume.get("read_only"):
        out["read_only"] = True
    if (volume.get("bind") or {}).get("create_host_path"):
        out["create_host_path"] = True
    tmpfs = volume.get("tmpfs") or {}
    if tmpfs.get("size"):
        out["tmpfs_size"] = int(tmpfs["size"])
    if tmpfs.get("mode"):
        out["tmpfs_mode"] = int(tmpfs["mode"])
    return out


_TMPFS_FLAGS = frozenset({
    "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync",
    "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime",
    "norelatime", "strictatime", "nostrictatime",
})  # fmt: skip
"""The mount flags a tmpfs option list may hold (the engine's `mount.ParseTmpfsOptions`)."""
_TMPFS_VALUES = {
    "size": re.compile(r"\d+[kmgKMG%]?"),
    "mode": re.compile(r"[0-7]{1,4}"),
    "uid": re.compile(r"\d+"),
    "gid": re.compile(r"\d+"),
    "nr_inodes": re.compile(r"\d+[kmgKMG]?"),
    "nr_blocks": re.compile(r"\d+[kmgKMG]?"),
    "mpol": re.compile(r"[a-z]+(?::[0-9,-]+)?"),
}
"""The options with a value, and its form (tmpfs(5)); the engine refuses any other option at
start ("Invalid tmpfs option")."""


def _tmpfs(entries: list[Any], at: Location, problems: list[Problem]) -> dict[str, str]:
    """`tmpfs: ["/run:size=64m,mode=1777", /tmp]` as compose passes it to the engine: each
    path with its option list (`HostConfig.Tmpfs`), the options checked one by one."""
    out: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = (*at, "tmpfs", index)
        path, _, options = str(entry).partition(":")
        for option in filter(None, options.split(",")):
            name, equals, value = option.partition("=")
            form = _TMPFS_VALUES.get(name)
            if (not equals and name in _TMPFS_FLAGS) or (
                equals and form is not None and form.fullmatch(value)
            ):
                continue
            if form is not None:
                reason = f"{_quoted(option)} is not a valid {name} (e.g. size=64m, mode=1777)"
            else:
                reason = (
                    f"{_quoted(option)} is not a tmpfs option; use size=, mode=, uid=, gid=, "
                    "nr_inodes= or mount flags such as noexec, nosuid, nodev"
                )
            problems.append(Problem(where, reason))
        out[path] = options
    return out


_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _swarm_tmpfs(path: str, options: str, at: Location, problems: list[Problem]) -> dict[str, Any]:
    """A `tmpfs:` entry as a swarm service's tmpfs mount, which takes a size and a mode only."""
    mount: dict[str, Any] = {"type": "tmpfs", "target": path}
    for option in filter(None, options.split(",")):
        name, _, value = option.partition("=")
        size = re.fullmatch(r"(\d+)([kmgKMG]?)", value) if name == "size" else None
        if size is not None:
            mount["tmpfs_size"] = int(size[1]) * _UNITS[size[2].lower()]
        elif name == "mode":
            mount["tmpfs_mode"] = int(value, 8)
        else:
            problems.append(
                Problem(
                    at,
                    f"{_quoted(option)} on {_quoted(path)}: a swarm service's tmpfs takes only "
                    "size= (in bytes, k, m or g) and mode=; remove it, or set composeTarget "
                    "to engine",
                )
            )
    return mount


def _healthcheck(
    health: Mapping[str, Any], at: Location, out: dict[str, Any], problems: list[Problem]
) -> None:
    """A health check as compose sends it: `disable: true` (or the test `["NONE"]`) switches
    off the image's own check; a check with timings but no test would keep the image's test
    with new timings, which the provider cannot express (it needs the test)."""
    test = health.get("test")
    if health.get("disable") or test == ["NONE"]:
        out["healthcheck"] = {
            "test": ["NONE"],
            "interval": "0s",
            "timeout": "0s",
            "start_period": "0s",
            "retries": 0,
        }
        return
    if not test:
        problems.append(
            Problem(
                at,
                "sets timings without a test, which keeps the image's own test; pulumi-docker "
                "needs the test itself: repeat the image's test here",
            )
        )
        return
    out["healthcheck"] = {
        "test": test if isinstance(test, list) else ["CMD-SHELL", test],
        **{k: health.get(k) or v for k, v in _HEALTH_DEFAULTS.items()},
    }


def _network(
    net: Mapping[str, Any], at: Location, problems: list[Problem], placed: ComposeTarget
) -> dict[str, Any]:
    out: dict[str, Any] = {"network_name": net.get("name")}
    if net.get("external"):
        out["external"] = True
        return out
    swarm = placed.stack.swarm_networks
    allowed = target_drivers(placed.stack.name)
    driver = net.get("driver") or allowed[0]
    if driver not in allowed:
        fix = f"use {' or '.join(allowed)}{placed.driver_fix}"
        problems.append(
            Problem((*at, "driver"), f'"{driver}" is not supported {placed.where}; {fix}')
        )
    elif swarm or driver != allowed[0]:
        out["driver"] = driver
    options = dict(net.get("driver_opts") or {})
    if driver == "overlay" and "encrypted" in options:
        options.pop("encrypted")
        out["encrypted"] = True
    if net.get("attachable") and swarm:  # on one engine's bridge it changes nothing
        out["attachable"] = True
    v4 = []
    for config in (net.get("ipam") or {}).get("config") or []:
        subnet = str(config.get("subnet") or "")
        if ":" in subnet:
            out["ipv6_subnet"] = subnet
            if config.get("gateway"):
                out["ipv6_gateway"] = config["gateway"]
            for key in ("ip_range", "aux_addresses"):
                if config.get(key):
                    problems.append(
                        Problem(
                            (*at, "ipam", "config"), f"{key} on an IPv6 subnet is not supported"
                        )
                    )
            continue
        v4.append(config)
    if len(v4) > 1:
        problems.append(
            Problem((*at, "ipam", "config"), "more than one IPv4 subnet is not supported")
        )
    elif v4:
        config = v4[0]
        for source, target in (
            ("subnet", "subnet"),
            ("gateway", "gateway"),
            ("ip_range", "ip_range"),
            ("aux_addresses", "aux_addresses"),
        ):
            if config.get(source):
                out[target] = config[source]
    ipam_driver = (net.get("ipam") or {}).get("driver")
    if ipam_driver:
        out["ipam_driver"] = str(ipam_driver)
    if net.get("enable_ipv6") and "ipv6_subnet" not in out:
        problems.append(Problem((*at, "enable_ipv6"), NO_IPV6_POOL))
    if net.get("enable_ipv4") is False:
        problems.append(
            Problem(
                (*at, "enable_ipv4"),
                "false asks for an IPv6-only network, which engines before v28 cannot make "
                "(engine 20.10 gives every network IPv4) and pulumi-docker 5.2.0 cannot ask "
                "for; remove it",
            )
        )
    if net.get("internal"):
        out["internal"] = True
    if net.get("labels"):
        out["labels"] = dict(net["labels"])
    if options:
        out["driver_opts"] = options
    return out


def _volume(vol: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"volume_name": vol.get("name")}
    if vol.get("external"):
        out["external"] = True
        return out
    for name in ("driver", "driver_opts", "labels"):
        if vol.get(name):
            out[name] = vol[name]
    return out


def _merge(out: dict[str, Any], files: Mapping[str, Any]) -> None:
    """Add a service's secret and config uses and its file mounts to its mapped keys."""
    for name, value in files.items():
        if name == "mounts":
            out.setdefault("mounts", []).extend(value)
        else:
            out[name] = value


SECRETS_DIR = "/run/secrets/"
"""Where compose puts a secret whose target is not an absolute path."""

IGNORED_FILE_OWNER = (
    "{kind} `uid`, `gid` and `mode` are not supported, they will be ignored (docker compose "
    "mounts the file read-only from the host: its mode and owner are the host file's, as "
    "they will be here)"
)
"""Compose's warning for uid, gid or mode on a mounted file, with what the deployment does."""


def file_references(
    model: Mapping[str, Any],
    service: Mapping[str, Any],
    at: Location,
    *,
    swarm: bool,
    problems: list[Problem],
    warnings: list[Problem],
) -> dict[str, Any]:
    """A service's `secrets` and `configs` as `docker compose up` realises them on one engine
    (compose's `pkg/compose/create.go` and `secrets.go`), as topology keys.

    - A secret's or config's `file` is bind-mounted read-only at the target: its mode and owner
      are the host file's, and `uid`, `gid` and `mode` are ignored with compose's warning.
      A secret becomes a `mounts` entry; a config a config use (its file is mounted the same).
    - `environment` (and a config's `content`) is copied into the container before it starts,
      with `mode` (0444 unless given) and the numeric `uid` and `gid` (root unless given).
    - A secret's target defaults to `/run/secrets/<source>` and a relative one is placed under
      it; a config's target defaults to `/<source>` and a relative one is placed under `/`.

    On a swarm (`docker stack deploy`) every secret is a swarm secret and keeps its use.
    """
    out: dict[str, Any] = {}
    defined = {"secrets": model.get("secrets") or {}, "configs": model.get("configs") or {}}
    for kind in ("secrets", "configs"):
        uses: dict[str, Any] = {}
        for index, use in enumerate(service.get(kind) or []):
            where = (*at, kind, index)
            source = str(use["source"])
            top = defined[kind].get(source) or {}
            target = str(use.get("target") or source)
            if not target.startswith("/"):
                target = (SECRETS_DIR if kind == "secrets" else "/") + target
            owner = {k: str(use[k]) for k in ("mode", "uid", "gid") if use.get(k) is not None}
            mounted = bool(top.get("file")) and not (swarm and kind == "secrets")
            if mounted and owner:
                warnings.append(
                    Problem(where, IGNORED_FILE_OWNER.format(kind=kind.removesuffix("s")))
                )
                owner = {}
            if mounted and kind == "secrets":
                out.setdefault("mounts", []).append(
                    {"type": "bind", "source": top["file"], "target": target, "read_only": True}
                )
                continue
            copied_owner = "uid" in owner or "gid" in owner
            if not swarm and not mounted and copied_owner and service.get("user"):
                problems.append(
                    Problem(
                        where,
                        "docker compose gives a copied file with uid or gid to the service's "
                        f"user {service['user']!r} as the engine's host resolves that name, "
                        'not to the uid and gid given (or fails: "getent unable to find '
                        'entry"); remove uid and gid (mode decides who reads it), or user',
                    )
                )
            if source in uses:
                problems.append(
                    Problem(
                        where,
                        f'"{source}" is already used by this service; container-comms copies '
                        f"each of a service's {kind} once: use it once",
                    )
                )
                continue
            key = "file" if kind == "secrets" else "target"
            uses[source] = {key: target, **owner}
        if uses:
            out[kind] = uses
    return out


def _config(conf: Mapping[str, Any], at: Location, problems: list[Problem]) -> dict[str, Any]:
    for source in ("file", "content", "environment"):
        if conf.get(source) is not None:
            return {source: conf[source]}
    problems.append(
        Problem(
            at,
            "only file, content and environment configs exist on one engine (docker compose "
            "refuses an external one); give one of them",
        )
    )
    return {}


def _secret(sec: Mapping[str, Any], at: Location, problems: list[Problem]) -> dict[str, Any]:
    if sec.get("file"):
        return {"file": sec["file"]}
    if sec.get("environment"):
        return {"environment": sec["environment"]}
    problems.append(
        Problem(at, "only file and environment secrets exist on one engine; give a file")
    )
    return {}


def _seconds(value: Any, at: Location, problems: list[Problem]) -> int:
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    ns = wire.duration_ns(text)
    if ns is None:
        problems.append(Problem(at, f'"{text}" is not a duration'))
        return 0
    return round(ns / 1e9)


class ServiceMapping(Protocol):
    """Completes a mapped service `out` for a target."""

    def __call__(
        self,
        project: str,
        key: str,
        service: Mapping[str, Any],
        at: Location,
        *,
        out: dict[str, Any],
        problems: list[Problem],
    ) -> None: ...


@dataclass(frozen=True)
class ComposeTarget:
    """How a compose file is deployed on a stack target: as `docker compose up` runs it on one
    engine, or as `docker stack deploy` runs it on a swarm."""

    stack: StackTarget
    """The stack target (its network drivers)."""
    where: str
    """Where the file is deployed, as a refusal says it."""
    driver_fix: str
    """What else to do about a driver it cannot have, after using one it has."""
    swarm_secrets: bool
    """Every secret is a swarm secret (a file secret too), rather than a mounted file."""
    links: bool
    """`links:` become aliases (the swarm ignores links)."""
    service: ServiceMapping
    """What the target makes of a service's `deploy:`, name and restart."""


_COMPOSE_TARGETS: dict[str, ComposeTarget] = {
    "engine": ComposeTarget(
        stack=TARGETS["engine"],
        where="on one engine",
        driver_fix=", or set composeTarget to swarm",
        swarm_secrets=False,
        links=True,
        service=_engine_service,
    ),
    "swarm": ComposeTarget(
        stack=TARGETS["swarm"],
        where="on a swarm",
        driver_fix="",
        swarm_secrets=True,
        links=False,
        service=_swarm_service,
    ),
}
"""Each stack target as a compose file is deployed on it, by `composeTarget`."""
