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

import re
from collections.abc import Mapping
from typing import Any

from ..problems import Problem
from ..vocabulary import NETWORK_MODES

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_HEALTH_DEFAULTS = {"interval": "30s", "timeout": "30s", "start_period": "0s", "retries": 3}
"""The engine's own defaults, which compose leaves to it."""


class ComposeMappingError(Exception):
    """Parts of a compose model the service model cannot express, one problem each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def compose_topology(
    model: Mapping[str, Any],
    file: str,
    target: str = "engine",
    warnings: list[Problem] | None = None,
) -> dict[str, Any]:
    """The `topology` value equivalent to compose's normalised `model` of `file`, deployed on
    `target` (`engine` or `swarm`).

    Raises `ComposeMappingError` naming file, service and key for what cannot be expressed;
    what `docker compose up` would warn of and then ignore is added to `warnings`.
    """
    swarm = target == "swarm"
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
            key: _network(net, f"{file}: networks.{key}", problems, swarm)
            for key, net in (model.get("networks") or {}).items()
        },
        "volumes": {key: _volume(vol) for key, vol in (model.get("volumes") or {}).items()},
        "secrets": {
            key: _secret(sec, f"{file}: secrets.{key}", problems)
            for key, sec in (model.get("secrets") or {}).items()
            if swarm or not sec.get("file")  # on one engine, compose mounts a secret's file
        },
        "configs": {
            key: _config(conf, f"{file}: configs.{key}", problems)
            for key, conf in (model.get("configs") or {}).items()
        },
        "services": {},
    }
    if warnings is None:
        warnings = []
    for key, service in services.items():
        at = f"{file}: services.{key}"
        if key in owners:
            continue
        topology["services"][key] = _service(
            project, key, service, at, known=services, owners=owners, problems=problems
        )
        _merge(
            topology["services"][key],
            file_references(model, service, at, swarm=swarm, problems=problems, warnings=warnings),
        )
        if swarm:
            _swarm_service(
                project, key, service, at, out=topology["services"][key], problems=problems
            )
        elif service.get("deploy"):
            problems.append(
                Problem(
                    f"{at}.deploy",
                    "applies to swarm services; set the stack's composeTarget to swarm, or "
                    "remove it",
                )
            )
    for key, owner in owners.items():
        at = f"{file}: services.{key}"
        if owner not in topology["services"]:
            reason = (
                f'"{owner}" is itself joined to another service; join the owner of that '
                "namespace instead"
                if owner in owners
                else f'"{owner}" is not a service of this file'
            )
            problems.append(Problem(f"{at}.network_mode", reason))
            continue
        sidecar = _container(project, key, services[key], at, problems)
        _merge(
            sidecar,
            file_references(
                model, services[key], at, swarm=swarm, problems=problems, warnings=warnings
            ),
        )
        depends = _depends_on(services[key], at, owners, problems, services)
        depends.pop(owner, None)
        if depends:
            sidecar["depends_on"] = depends
        topology["services"][owner].setdefault("sidecars", {})[
            _container_name(project, key, services[key])
        ] = sidecar
    if problems:
        raise ComposeMappingError(problems)
    return topology


def _swarm_service(
    project: str,
    key: str,
    service: Mapping[str, Any],
    at: str,
    *,
    out: dict[str, Any],
    problems: list[Problem],
) -> None:
    """Turn a mapped service into a swarm service, as `docker stack deploy` names and runs it."""
    if service.get("container_name"):
        problems.append(
            Problem(
                f"{at}.container_name",
                "a swarm names a service's containers itself (<service>.<slot>.<task id>); "
                "remove container_name",
            )
        )
    out["container_name"] = f"{project}_{key}" if project else key
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
    at: str,
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
                f"{at}.network_mode",
                f'"{mode}" is not supported; use networks, host, none, bridge or service:<name>',
            )
        )
    else:
        out["networks"] = {
            net: {
                "aliases": [key, *((attachment or {}).get("aliases") or [])],
                **{
                    k: (attachment or {})[k]
                    for k in ("ipv4_address", "ipv6_address")
                    if (attachment or {}).get(k)
                },
            }
            for net, attachment in networks.items()
        }
    depends = _depends_on(service, at, owners, problems, known)
    if depends:
        out["depends_on"] = depends
    return out


def _depends_on(
    service: Mapping[str, Any],
    at: str,
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
                    f"{at}.depends_on.{other}",
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
    at: str,
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
    if service.get("pull_policy") == "never":
        out["pull"] = False
    for source, target in (("command", "command"), ("entrypoint", "entrypoint")):
        if service.get(source):
            value = service[source]
            out[target] = value if isinstance(value, list) else ["/bin/sh", "-c", value]
    env = {k: v for k, v in (service.get("environment") or {}).items() if v is not None}
    if env:
        out["env"] = env
    ports = [
        _port(p, f"{at}.ports[{i}]", problems) for i, p in enumerate(service.get("ports") or [])
    ]
    if ports:
        out["ports"] = ports  # on a sidecar, the loader refuses them with the reason
    if service.get("expose"):
        out["expose"] = [str(p) for p in service["expose"]]
    health = service.get("healthcheck")
    if health and not health.get("disable") and health.get("test"):
        test = health["test"]
        out["healthcheck"] = {
            "test": test if isinstance(test, list) else ["CMD-SHELL", test],
            **{k: health.get(k) or v for k, v in _HEALTH_DEFAULTS.items()},
        }
    if service.get("labels"):
        out["labels"] = dict(service["labels"])
    for source, target in (("cap_add", "capabilities_add"), ("cap_drop", "capabilities_drop")):
        if service.get(source):
            out[target] = list(service[source])
    _options(service, at, problems, out)
    return out


def _options(
    service: Mapping[str, Any], at: str, problems: list[Problem], out: dict[str, Any]
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
            service["stop_grace_period"], f"{at}.stop_grace_period", problems
        )
    if service.get("security_opt"):
        out["security_opt"] = list(service["security_opt"])
    for source, target in (("shm_size", "shm_size"), ("mem_limit", "memory")):
        if service.get(source) not in (None, "", 0):
            out[target] = -(-int(service[source]) // (1024 * 1024))
    if service.get("devices"):
        out["devices"] = [_device(d) for d in service["devices"]]
    mounts = [_mount(v) for v in service.get("volumes") or []]
    mounts += [{"type": "tmpfs", "target": path} for path in service.get("tmpfs") or []]
    if mounts:
        out["mounts"] = mounts


def _port(port: Mapping[str, Any], at: str, problems: list[Problem]) -> dict[str, Any]:
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
    size = (volume.get("tmpfs") or {}).get("size")
    if size:
        out["tmpfs_size"] = int(size)
    return out


def _network(
    net: Mapping[str, Any], at: str, problems: list[Problem], swarm: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {"network_name": net.get("name")}
    if net.get("external"):
        out["external"] = True
        return out
    driver = net.get("driver") or ("overlay" if swarm else "bridge")
    allowed = ("bridge", "overlay") if swarm else ("bridge",)
    if driver not in allowed:
        fix = "use overlay or bridge" if swarm else "use bridge, or set composeTarget to swarm"
        where = "on a swarm" if swarm else "on one engine"
        problems.append(Problem(f"{at}.driver", f'"{driver}" is not supported {where}; {fix}'))
    elif swarm:
        out["driver"] = driver
    options = dict(net.get("driver_opts") or {})
    if driver == "overlay" and "encrypted" in options:
        options.pop("encrypted")
        out["encrypted"] = True
    if net.get("attachable"):
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
                        Problem(f"{at}.ipam.config", f"{key} on an IPv6 subnet is not supported")
                    )
            continue
        v4.append(config)
    if len(v4) > 1:
        problems.append(Problem(f"{at}.ipam.config", "more than one IPv4 subnet is not supported"))
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
    at: str,
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
            where = f"{at}.{kind}[{index}]"
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


def _config(conf: Mapping[str, Any], at: str, problems: list[Problem]) -> dict[str, Any]:
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


def _secret(sec: Mapping[str, Any], at: str, problems: list[Problem]) -> dict[str, Any]:
    if sec.get("file"):
        return {"file": sec["file"]}
    if sec.get("environment"):
        return {"environment": sec["environment"]}
    problems.append(
        Problem(at, "only file and environment secrets exist on one engine; give a file")
    )
    return {}


def _seconds(value: Any, at: str, problems: list[Problem]) -> int:
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        problems.append(Problem(at, f'"{text}" is not a duration'))
        return 0
    return round(sum(float(a) * _SECONDS[b] for a, b in parts))
