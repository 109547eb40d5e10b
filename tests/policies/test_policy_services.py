"""The one reader that shows a swarm service's task to the container rules in a container's
shape: each key in its place, unknowns kept unknown, and aliases only where they belong."""

from __future__ import annotations

from policies.rules._services import service_as_container
from tests.policies.policy_cases import UNKNOWN


def _service(**spec: object) -> dict[str, object]:
    return {
        "name": "api",
        "taskSpec": {
            "containerSpec": {"image": "busybox:1.36", **spec},
            "networksAdvanceds": [{"name": "front", "aliases": ["www"]}, {"id": UNKNOWN}],
        },
    }


def test_task_spec_keys_land_where_the_container_rules_read_them() -> None:
    shaped = service_as_container(
        _service(
            commands=["/bin/sh"],
            args=["-c", "sleep 1"],
            env={"DB_HOST": "db"},
            hosts=[{"host": "cache", "ip": "10.0.0.5"}],
            dnsConfig={"nameservers": ["10.0.0.53"], "searches": ["corp"], "options": ["ndots:2"]},
            capAdds=["SYS_ADMIN"],
            mounts=[{"target": "/s", "source": "/var/run/docker.sock", "type": "bind"}],
            dir="/srv",
            sysctl={"net.ipv4.ip_forward": "1"},
        )
    )
    assert shaped == {
        "name": "api",
        "image": "busybox:1.36",
        "entrypoints": ["/bin/sh"],
        "command": ["-c", "sleep 1"],
        "envs": ["DB_HOST=db"],
        "hosts": [{"host": "cache", "ip": "10.0.0.5"}],
        "dns": ["10.0.0.53"],
        "dnsSearches": ["corp"],
        "dnsOpts": ["ndots:2"],
        "capabilities": {"adds": ["SYS_ADMIN"], "drops": []},
        "mounts": [{"target": "/s", "source": "/var/run/docker.sock", "type": "bind"}],
        "workingDir": "/srv",
        "sysctls": {"net.ipv4.ip_forward": "1"},
        "networksAdvanced": [
            {"name": "front", "aliases": ["www"]},
            {"name": UNKNOWN, "aliases": []},
        ],
    }


def test_unknown_task_spec_stays_unknown() -> None:
    shaped = service_as_container({"name": "api", "taskSpec": UNKNOWN})
    assert shaped["name"] == "api"
    assert shaped["envs"] == shaped["mounts"] == shaped["hosts"] == UNKNOWN


def test_resolved_networks_keep_aliases_only_when_they_line_up() -> None:
    in_order = service_as_container(_service(), networks=["front", "back"])
    assert in_order["networksAdvanced"] == [{"name": "front"}, {"name": "back"}]
    named = {
        "name": "api",
        "taskSpec": {"networksAdvanceds": [{"name": "front", "aliases": ["www"]}]},
    }
    assert service_as_container(named, networks=["front"])["networksAdvanced"] == [
        {"name": "front", "aliases": ["www"]}
    ]
