"""The golden facts of the compose corpus, and the one way they are read off a normalised model.

Each application in `corpus/<app>/compose.yaml` has `expected/<app>.yaml`, written by hand from
the compose file: what Docker Compose's normalised model must say about its services (image or
build, network attachments with aliases and addresses, mounts, secrets and configs, dependencies
with their conditions, environment, ports, healthcheck and the rest), networks, volumes, secrets
and configs.

`facts` turns a normalised model into that form: paths inside the application's folder become
`./relative` ones, and mounts, ports, secrets and dependencies become one short string each.
A later test of the compose mapping reads the same expected files and compares what it deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
EXPECTED = HERE / "expected"

ENVIRONMENT = {
    "GRAFANA_DB_PASSWORD": "db-password-for-tests",
    "ALERTMANAGER_WEB_CONFIG": "http_server_config:\n  http2: false\n",
}
"""The variables the corpus's `environment` secrets and configs read: set wherever a corpus file
is deployed (by the program and by docker compose alike)."""

APPS = tuple(sorted(p.name for p in CORPUS.iterdir() if (p / "compose.yaml").is_file()))
"""Every application of the corpus, by folder name."""


def expected(app: str) -> dict[str, Any]:
    """The hand-written facts of one application (`expected/<app>.yaml`)."""
    loaded = yaml.safe_load((EXPECTED / f"{app}.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"expected/{app}.yaml is not a mapping"
    return loaded


def facts(model: dict[str, Any], app_dir: Path) -> dict[str, Any]:
    """The facts of a normalised model, in the form of `expected/<app>.yaml` (without `run`)."""
    out: dict[str, Any] = {
        "services": {
            name: _service(service, app_dir) for name, service in model["services"].items()
        }
    }
    if model.get("networks"):
        out["networks"] = {k: _network(v) for k, v in model["networks"].items()}
    if model.get("volumes"):
        out["volumes"] = {k: dict(v) for k, v in model["volumes"].items()}
    for kind in ("secrets", "configs"):
        if model.get(kind):
            out[kind] = {k: _secret(v, app_dir) for k, v in model[kind].items()}
    return out


def _file_use(use: dict[str, Any]) -> str:
    """`source:target`, or `source` when compose gives no target, then `uid=`, `gid=` and
    `mode=` when the long syntax gives them."""
    known = {"source", "target", "uid", "gid", "mode"}
    assert set(use) <= known, f"unexpected keys {sorted(set(use) - known)}"
    text = f"{use['source']}:{use['target']}" if use.get("target") else str(use["source"])
    return text + "".join(f" {k}={use[k]}" for k in ("uid", "gid", "mode") if k in use)


def _service(service: dict[str, Any], app_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in service.items():
        if key in ("command", "entrypoint") and value is None:
            continue  # Compose writes these as null when the image's own apply
        if key == "build":
            out[key] = {**value, "context": _path(value["context"], app_dir)}
        elif key == "networks":
            out[key] = {net: attachment or {} for net, attachment in value.items()}
        elif key == "volumes":
            out[key] = [_mount(mount, app_dir) for mount in value]
        elif key == "ports":
            out[key] = [_port(port) for port in value]
        elif key in ("secrets", "configs"):
            out[key] = [_file_use(use) for use in value]
        elif key == "depends_on":
            out[key] = {dep: _dependency(spec) for dep, spec in value.items()}
        elif key == "devices":
            out[key] = [f"{d['source']}:{d['target']}:{d['permissions']}" for d in value]
        else:
            out[key] = value
    return out


def _path(path: str, app_dir: Path) -> str:
    """`./relative` for a path in the application's folder, `.` for the folder itself."""
    resolved = Path(path)
    if resolved == app_dir:
        return "."
    if resolved.is_relative_to(app_dir):
        return f"./{resolved.relative_to(app_dir).as_posix()}"
    return path


def _mount(mount: dict[str, Any], app_dir: Path) -> str:
    """`bind ./src:/dst:ro`, `volume name:/dst`, `volume /anonymous`, `tmpfs /dst size=1024`,
    `bind ./src:/dst selinux=z`."""
    kind = mount["type"]
    known = {"type", "source", "target", "read_only", "bind", "volume", "tmpfs"}
    assert set(mount) <= known, f"unexpected mount keys {sorted(set(mount) - known)}"
    source = mount.get("source")
    if kind == "bind":
        source = _path(mount["source"], app_dir)
    text = f"{kind} {source}:{mount['target']}" if source else f"{kind} {mount['target']}"
    if mount.get("read_only"):
        text += ":ro"
    bind = mount.get("bind", {})
    if kind == "bind" and not bind.get("create_host_path"):
        text += " no-create-host-path"
    if bind.get("selinux"):
        text += f" selinux={bind['selinux']}"
    for option, value in mount.get("tmpfs", {}).items():
        text += f" {option}={value}"
    assert not mount.get("volume"), f"unexpected volume options {mount['volume']}"
    return text


def _port(port: dict[str, Any]) -> str:
    """`127.0.0.1:8080:80/tcp`, `80:80/udp`, `8080/tcp` (not published)."""
    assert port.get("mode") == "ingress", f"unexpected port mode {port.get('mode')}"
    host_ip = port.get("host_ip")
    text = f"[{host_ip}]:" if host_ip and ":" in host_ip else f"{host_ip}:" if host_ip else ""
    if "published" in port:
        text += f"{port['published']}:"
    return f"{text}{port['target']}/{port['protocol']}"


def _dependency(spec: dict[str, Any]) -> str:
    """`service_healthy`, with `, restart` and `, optional` when compose says so."""
    text = str(spec["condition"])
    if spec.get("restart"):
        text += ", restart"
    if not spec.get("required", True):
        text += ", optional"
    return text


def _network(network: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in network.items() if k != "ipam"}
    ipam = network.get("ipam") or {}
    if ipam.get("driver"):
        out["ipam_driver"] = ipam["driver"]
    if ipam.get("config"):
        out["subnets"] = [_subnet(c) for c in ipam["config"]]
    return out


def _subnet(config: dict[str, Any]) -> str:
    """`172.16.238.0/24 via 172.16.238.1`, with `range ...` and `aux name=addr` when given."""
    text = str(config["subnet"])
    if config.get("gateway"):
        text += f" via {config['gateway']}"
    if config.get("ip_range"):
        text += f" range {config['ip_range']}"
    for name, address in (config.get("aux_addresses") or {}).items():
        text += f" aux {name}={address}"
    return text


def _secret(secret: dict[str, Any], app_dir: Path) -> dict[str, Any]:
    return {k: _path(v, app_dir) if k == "file" else v for k, v in secret.items()}
