"""Synthetic topologies in the project's own `container-comms:topology` config format.

A topology of `n` containers is made of cells of ten: a DNS group of four (one pinned to a
static address, each pinging the next by name), a joined group of an owner and two sidecars
(the owner on the network with an alias, a sidecar reaching it over loopback), and three
containers with static addresses. Fifty containers share one user-defined /24 network.
"""

from __future__ import annotations

import ipaddress
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
