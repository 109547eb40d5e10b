"""Synthetic topologies in the project's own `container-comms:topology` config format.

A topology of `n` containers is made of cells of ten: a DNS group of four (one pinned to a
static address, each pinging the next by name), a joined group of an owner and two sidecars
(the owner on the network with an alias, a sidecar reaching it over loopback), and three
containers with static addresses. Fifty containers share one user-defined /24 network.

A swarm stack of `n` services (`swarm_topology`) is made of cells of ten services and a joined
group of plain containers, fifty services to an attachable overlay network.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

CELL = 10
CELLS_PER_NETWORK = 5
IMAGES = ("busybox:1.36", "httpd:2.4")
SLEEP = ["sleep", "2147483647"]


def topology(containers: int) -> dict[str, Any]:
    """The `topology` config value for `containers` containers (a multiple of ten)."""
    if containers % CELL:
        raise ValueError(f"{containers} is not a multiple of {CELL}")
    cells = containers // CELL
    networks: dict[str, Any] = {}
    dns_groups: dict[str, Any] = {}
    joined_groups: dict[str, Any] = {}
    statics: dict[str, Any] = {}
    for cell in range(cells):
        index = cell // CELLS_PER_NETWORK
        key = f"net{index:04d}"
        subnet = ipaddress.ip_network(f"10.{64 + index // 256}.{index % 256}.0/24")
        networks.setdefault(key, {"subnet": str(subnet)})
        base = 10 + (cell % CELLS_PER_NETWORK) * 40  # 40 addresses per cell, none shared
        members = [f"c{cell:05d}-dns{i}" for i in range(4)]
        dns_groups[f"g{cell:05d}"] = {
            "network": key,
            "members": {
                name: {
                    "image": IMAGES[0],
                    "command": ["ping", members[(i + 1) % 4]],
                    "aliases": [f"{name}-alias"],
                    **({"ipv4_address": str(subnet[base])} if i == 0 else {}),
                }
                for i, name in enumerate(members)
            },
        }
        owner = f"c{cell:05d}-web"
        joined_groups[f"j{cell:05d}"] = {
            "owner": {
                "name": owner,
                "image": IMAGES[1],
                "loopback_ports": [80],
                "networks": [{"network": key, "aliases": [f"{owner}-www"]}],
            },
            "sidecars": {
                f"c{cell:05d}-side{i}": {"image": IMAGES[0], "command": SLEEP} for i in range(2)
            },
        }
        for i in range(3):
            statics[f"c{cell:05d}-static{i}"] = {
                "image": IMAGES[0],
                "command": SLEEP,
                "network": key,
                "ipv4_address": str(subnet[base + 1 + i]),
            }
    return {
        "networks": networks,
        "dns_groups": dns_groups,
        "joined_groups": joined_groups,
        "containers": statics,
    }


def compose_model(containers: int) -> dict[str, Any]:
    """The same topology as a compose file: each DNS member, joined owner and static container
    a service on its cell's network (aliases and addresses as in `topology`), each sidecar a
    service with `network_mode: service:<owner>`."""
    source = topology(containers)
    networks = {
        key: {"ipam": {"config": [{"subnet": net["subnet"]}]}}
        for key, net in source["networks"].items()
    }
    services: dict[str, Any] = {}
    for group in source["dns_groups"].values():
        for name, member in group["members"].items():
            attachment: dict[str, Any] = {"aliases": member["aliases"]}
            if "ipv4_address" in member:
                attachment["ipv4_address"] = member["ipv4_address"]
            services[name] = {
                "image": member["image"],
                "command": member["command"],
                "networks": {group["network"]: attachment},
            }
    for joined in source["joined_groups"].values():
        owner = joined["owner"]
        net = owner["networks"][0]
        services[owner["name"]] = {
            "image": owner["image"],
            "networks": {net["network"]: {"aliases": net["aliases"]}},
        }
        for name, sidecar in joined["sidecars"].items():
            services[name] = {
                "image": sidecar["image"],
                "command": sidecar["command"],
                "network_mode": f"service:{owner['name']}",
            }
    for name, static in source["containers"].items():
        services[name] = {
            "image": static["image"],
            "command": static["command"],
            "networks": {static["network"]: {"ipv4_address": static["ipv4_address"]}},
        }
    return {"services": services, "networks": networks}


SWARM_CELL = 10
SWARM_CELLS_PER_NETWORK = 5
SWARM_IMAGES = {
    "web": "httpd:2.4",
    "api": "nginx:1.27-alpine",
    "db": "postgres:16-alpine",
    "cache": "redis:7-alpine",
    "tool": "busybox:1.36",
}
SWARM_SECRETS = ("db_password", "api_token", "tls_key")
"""The stack's swarm secrets; `make_swarm_secrets` writes their files."""
SWARM_SECRET_DIR = "secrets"
"""Where the secrets' files are, relative to the project folder."""


def swarm_topology(services: int) -> dict[str, Any]:
    """The `topology` config value of a swarm stack of `services` swarm services (a multiple of
    ten), in cells of ten on one overlay network per fifty services:

    - `web` (vip, two replicas, an alias, a port published through the routing mesh, a
      start-first update with rollback), waiting for `api0`;
    - `api0` and `api1` (vip, three replicas, an alias each, CPU and memory limits, a restart
      policy, the `db_password` and `api_token` secrets), waiting for `db`;
    - `db` (dnsrr, one replica on a manager, a named volume, a healthcheck, `db_password`
      read through `POSTGRES_PASSWORD_FILE`);
    - `cache` (dnsrr, two replicas, an alias) and three `worker`s (dnsrr, two replicas,
      `api_token`) waiting for it;
    - `probe` (global, one task per node) and `admin` (vip, one replica, `tls_key`, a
      rollback policy);
    - and, beside the services, a joined group `edge` of plain containers (a `proxy` owner
      with an alias and a `shell` sidecar on its loopback) on the cell's overlay, which is
      attachable for it; every other overlay is encrypted.
    """
    if services % SWARM_CELL:
        raise ValueError(f"{services} is not a multiple of {SWARM_CELL}")
    networks: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    swarm: dict[str, Any] = {}
    joined_groups: dict[str, Any] = {}
    for cell in range(services // SWARM_CELL):
        index = cell // SWARM_CELLS_PER_NETWORK
        key = f"ov{index:04d}"
        subnet = ipaddress.ip_network(f"10.{128 + index // 256}.{index % 256}.0/24")
        networks.setdefault(
            key, {"subnet": str(subnet), "attachable": True, "encrypted": index % 2 == 1}
        )
        p = f"s{cell:05d}"

        def on(*aliases: str) -> dict[str, Any]:
            return {key: {"aliases": list(aliases)} if aliases else None}  # noqa: B023

        volumes[f"{p}-dbdata"] = {}
        swarm[f"{p}-web"] = {
            "image": SWARM_IMAGES["web"],
            "networks": on(f"{p}-www"),
            "ports": [{"internal": 80, "external": 20000 + cell, "host_ip": "0.0.0.0"}],
            "depends_on": {f"{p}-api0": "service_started"},
            "deploy": {
                "replicas": 2,
                "update": {
                    "parallelism": 1,
                    "delay": "5s",
                    "order": "start-first",
                    "failure_action": "rollback",
                },
                "rollback": {"parallelism": 2},
            },
        }
        for i in range(2):
            swarm[f"{p}-api{i}"] = {
                "image": SWARM_IMAGES["api"],
                "networks": on(f"{p}-api{i}-internal"),
                "env": {"DB_HOST": f"{p}-db", "DB_PASSWORD_FILE": "/run/secrets/db_password"},
                "secrets": {
                    "db_password": {"file": "/run/secrets/db_password"},
                    "api_token": {"file": "/run/secrets/api_token"},
                },
                "depends_on": {f"{p}-db": "service_started"},
                "deploy": {
                    "replicas": 3,
                    "limits": {"cpus": "0.5", "memory": 128},
                    "reservations": {"memory": 16},
                    "restart_policy": {"condition": "on-failure", "max_attempts": 3},
                },
            }
        swarm[f"{p}-db"] = {
            "image": SWARM_IMAGES["db"],
            "networks": on(f"{p}-database"),
            "env": {"POSTGRES_PASSWORD_FILE": "/run/secrets/db_password"},
            "mounts": [{"target": "/var/lib/postgresql/data", "source": f"{p}-dbdata"}],
            "secrets": {"db_password": {"file": "/run/secrets/db_password"}},
            "healthcheck": {
                "test": ["CMD", "pg_isready", "-U", "postgres"],
                "interval": "2s",
                "timeout": "2s",
                "retries": 15,
            },
            "deploy": {"endpoint_mode": "dnsrr", "constraints": ["node.role == manager"]},
        }
        swarm[f"{p}-cache"] = {
            "image": SWARM_IMAGES["cache"],
            "networks": on(f"{p}-redis"),
            "deploy": {"endpoint_mode": "dnsrr", "replicas": 2},
        }
        for i in range(3):
            swarm[f"{p}-worker{i}"] = {
                "image": SWARM_IMAGES["tool"],
                "command": ["sh", "-c", f"while nslookup tasks.{p}-cache; do sleep 60; done"],
                "networks": on(),
                "secrets": {"api_token": {"file": "/run/secrets/api_token"}},
                "depends_on": {f"{p}-cache": "service_started"},
                "deploy": {"endpoint_mode": "dnsrr", "replicas": 2},
            }
        swarm[f"{p}-probe"] = {
            "image": SWARM_IMAGES["tool"],
            "command": SLEEP,
            "networks": on(),
            "deploy": {"mode": "global", "endpoint_mode": "dnsrr"},
        }
        swarm[f"{p}-admin"] = {
            "image": SWARM_IMAGES["api"],
            "networks": on(f"{p}-admin-internal"),
            "secrets": {"tls_key": {"file": "/run/secrets/tls_key"}},
            "deploy": {
                "replicas": 1,
                "labels": {"tier": "admin"},
                "rollback": {"parallelism": 1, "failure_action": "pause"},
            },
        }
        joined_groups[f"{p}-edge"] = {
            "owner": {
                "name": f"{p}-edge-proxy",
                "image": SWARM_IMAGES["web"],
                "loopback_ports": [80],
                "networks": [{"network": key, "aliases": [f"{p}-edge-www"]}],
            },
            "sidecars": {f"{p}-edge-shell": {"image": SWARM_IMAGES["tool"], "command": SLEEP}},
        }
    return {
        "target": "swarm",
        "networks": networks,
        "volumes": volumes,
        "secrets": {name: {"file": f"{SWARM_SECRET_DIR}/{name}.txt"} for name in SWARM_SECRETS},
        "services": swarm,
        "joined_groups": joined_groups,
    }


def make_swarm_secrets(project: Path) -> None:
    """The files `swarm_topology`'s secrets are read from, in the project folder `project`."""
    folder = project / SWARM_SECRET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name in SWARM_SECRETS:
        (folder / f"{name}.txt").write_text(f"bench-{name}-text", encoding="utf-8")


def swarm_compose_model(services: int) -> dict[str, Any]:
    """The same swarm stack as a compose file: each swarm service a service with its `deploy`
    keys, each joined group's owner a service on the cell's overlay and its sidecar a service
    with `network_mode: service:<owner>`; overlays, volumes and secrets at the top."""
    source = swarm_topology(services)
    networks = {
        key: {
            "driver": "overlay",
            "attachable": net["attachable"],
            **({"driver_opts": {"encrypted": ""}} if net["encrypted"] else {}),
            "ipam": {"config": [{"subnet": net["subnet"]}]},
        }
        for key, net in source["networks"].items()
    }
    result: dict[str, Any] = {}
    for name, service in source["services"].items():
        deploy = dict(service["deploy"])
        converted: dict[str, Any] = {
            "image": service["image"],
            "networks": {
                key: {"aliases": a["aliases"]} if a else {}
                for key, a in service["networks"].items()
            },
        }
        for key in ("command", "healthcheck"):
            if key in service:
                converted[key] = service[key]
        if "env" in service:
            converted["environment"] = service["env"]
        if "ports" in service:
            converted["ports"] = [
                {"target": p["internal"], "published": p["external"], "mode": "ingress"}
                for p in service["ports"]
            ]
        if "mounts" in service:
            converted["volumes"] = [
                {"type": "volume", "source": m["source"], "target": m["target"]}
                for m in service["mounts"]
            ]
        if "secrets" in service:
            converted["secrets"] = [
                {"source": s, "target": use["file"]} for s, use in service["secrets"].items()
            ]
        if "depends_on" in service:
            converted["depends_on"] = {
                other: {"condition": condition}
                for other, condition in service["depends_on"].items()
            }
        for policy in ("update", "rollback"):
            if policy in deploy:
                deploy[f"{policy}_config"] = deploy.pop(policy)
        if "constraints" in deploy:
            deploy["placement"] = {"constraints": deploy.pop("constraints")}
        resources = {
            kind: {
                **({"cpus": given["cpus"]} if "cpus" in given else {}),
                **({"memory": f"{given['memory']}M"} if "memory" in given else {}),
            }
            for kind, given in (
                ("limits", deploy.pop("limits", None)),
                ("reservations", deploy.pop("reservations", None)),
            )
            if given
        }
        if resources:
            deploy["resources"] = resources
        converted["deploy"] = deploy
        result[name] = converted
    for joined in source["joined_groups"].values():
        owner = joined["owner"]
        net = owner["networks"][0]
        result[owner["name"]] = {
            "image": owner["image"],
            "networks": {net["network"]: {"aliases": net["aliases"]}},
        }
        for name, sidecar in joined["sidecars"].items():
            result[name] = {
                "image": sidecar["image"],
                "command": sidecar["command"],
                "network_mode": f"service:{owner['name']}",
            }
    return {
        "services": result,
        "networks": networks,
        "volumes": {key: {} for key in source["volumes"]},
        "secrets": {name: {"file": f"./{s['file']}"} for name, s in source["secrets"].items()},
    }
