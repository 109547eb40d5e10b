"""The one reader that shows a swarm service's task to the container rules: each container key
read where a service writes it (the provider's schema on both sides), named at the service's own
key, unknowns kept unknown, and aliases only where they belong; and the one rule preamble."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi_docker
import pytest
from pulumi._types import input_type_py_to_pulumi_names

from policies.rules._props import UNKNOWN as PROPS_UNKNOWN
from policies.rules._props import flag, items, text
from policies.rules._services import service_as_container
from policies.rules._subject import (
    SERVICE_WIRE,
    Subject,
    container_subject,
    for_subjects,
    service_subject,
)
from policies.rules.network_values import _dns_servers, _extra_hosts
from tests.policies.policy_cases import CONTAINER, NETWORK, UNKNOWN

SERVICE = "docker:index/service:Service"


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


# -- the one subject reader -------------------------------------------------------------------


def _pulumi_names(class_name: str) -> dict[str, str]:
    """The wire names of a pulumi-docker input type's fields, by wire name: its schema."""
    names = input_type_py_to_pulumi_names(getattr(pulumi_docker, class_name))
    return {wire: wire for wire in names.values()}


def _wire_class(resource: str, path: tuple[str, ...]) -> str:
    """`ServiceTaskSpecContainerSpecArgs` for ("taskSpec", "containerSpec")."""
    return resource + "".join(part[0].upper() + part[1:] for part in path) + "Args"


@pytest.mark.parametrize("key", sorted(SERVICE_WIRE))
def test_wire_table_names_fields_of_the_provider_schema(key: str) -> None:
    container_path = tuple(key.split("."))
    for resource, path in (("Container", container_path), ("Service", SERVICE_WIRE[key])):
        holder = _wire_class(resource, path[:-1])
        assert path[-1] in _pulumi_names(holder), f"{holder} has no {path[-1]}"


def _subject(**spec: object) -> Subject:
    return service_subject(_service(**spec), "app-api")


def test_a_service_key_is_read_and_named_where_the_service_writes_it() -> None:
    subject = _subject(dir="/srv", capAdds=["NET_ADMIN"])
    assert subject.subject == 'service "api"'
    assert subject.read(text, "workingDir") == "/srv"
    assert subject.where("workingDir") == "taskSpec.containerSpec.dir"
    assert subject.read(items, "capabilities.adds") == ["NET_ADMIN"]
    assert subject.where("capabilities.drops") == "taskSpec.containerSpec.capDrops"
    assert subject.where("logDriver") == "taskSpec.logDriver.name"
    # A container key the service's wire does not have reads as absent.
    assert not subject.has("privileged")
    assert subject.read(flag, "privileged") is None


def test_a_container_key_is_read_and_named_as_written() -> None:
    subject = container_subject(
        {"name": "web", "workingDir": "app", "capabilities": {"drops": ["ALL"]}}, "web-web"
    )
    assert subject.subject == 'container "web"'
    assert subject.read(text, "workingDir") == "app"
    assert subject.where("capabilities.drops") == "capabilities.drops"
    assert subject.read(items, "capabilities.drops") == ["ALL"]
    assert subject.read(items, "capabilities.adds") == []


def test_an_unknown_record_on_the_way_reads_as_unknown() -> None:
    assert service_subject({"name": "api", "taskSpec": UNKNOWN}, "a").read(text, "user") is (
        PROPS_UNKNOWN
    )
    spec_unknown = service_subject({"name": "api", "taskSpec": {"containerSpec": UNKNOWN}}, "a")
    assert spec_unknown.read(items, "mounts") is PROPS_UNKNOWN
    assert spec_unknown.read(text, "logDriver") is None  # not under the containerSpec
    assert spec_unknown.env() is PROPS_UNKNOWN


def test_env_reads_a_list_and_a_map_alike() -> None:
    service = _subject(env={"B": "2", "A": "1"})
    assert list(service.env()) == [  # type: ignore[arg-type]
        ('taskSpec.containerSpec.env["A"]', "A", "1"),
        ('taskSpec.containerSpec.env["B"]', "B", "2"),
    ]
    container = container_subject({"envs": ["A=1", UNKNOWN]}, "web")
    assert list(container.env()) == [  # type: ignore[arg-type]
        ("envs[0]", "", "A=1"),
        ("envs[1]", "", UNKNOWN),
    ]


def _run(rule: Any, kind: str, props: dict[str, Any]) -> tuple[list[str], list[str]]:
    reports: list[str] = []
    notes: list[str] = []

    class Args:
        resource_type = kind
        name = "res"

        def __init__(self) -> None:
            self.props = props

        def get_config(self) -> dict[str, Any]:
            return {}

        def not_applicable(self, reason: str | None = None) -> None:
            notes.append(reason or "")

    rule(Args(), lambda message, urn=None: reports.append(message))
    return reports, notes


def _user_body(subject: Subject) -> Iterator[str]:
    user = subject.read(text, "user")
    if user is PROPS_UNKNOWN:
        subject.undecided(f"the user of {subject.subject} is")
    elif user is not None:
        yield f"{subject.where('user')} is {user}"


def test_the_preamble_names_the_subject_and_notes_what_was_unknown() -> None:
    user_rule = for_subjects(services=True)(_user_body)
    assert _run(user_rule, SERVICE, _service(user="app")) == (
        ['service "api": taskSpec.containerSpec.user is app.'],
        [],
    )
    assert _run(user_rule, CONTAINER, {"name": "web", "user": "app"}) == (
        ['container "web": user is app.'],
        [],
    )
    assert _run(user_rule, CONTAINER, {"name": "web", "user": UNKNOWN}) == (
        [],
        [
            'cannot decide during preview: the user of container "web" is unknown until the '
            "update; the rule decides when the update runs"
        ],
    )
    # Any other resource, and a service for a rule that judges containers only, pass untouched.
    assert _run(user_rule, NETWORK, {"name": "front", "user": "app"}) == ([], [])
    containers_only = for_subjects(services=False)(_user_body)
    assert _run(containers_only, SERVICE, _service(user="app")) == ([], [])


def test_extra_host_and_dns_server_rules_name_a_service_at_its_own_keys() -> None:
    hosts = [{"host": "cache", "ip": "10.0.0.5"}, {"host": "db", "ip": "db.internal"}]
    assert _run(_extra_hosts, SERVICE, _service(hosts=hosts)) == (
        [
            'service "api": taskSpec.containerSpec.hosts[1].ip "db.internal" (host "db") is not '
            "an IP address (an IPv6 address takes no %zone); the engine refuses the container "
            'with "invalid IP address in add-host: "db.internal""; write an IPv4 or IPv6 '
            "address, e.g. 172.22.16.10."
        ],
        [],
    )
    assert _run(_extra_hosts, CONTAINER, {"name": "web", "hosts": hosts})[0] == [
        'container "web": hosts[1].ip "db.internal" (host "db") is not an IP address (an IPv6 '
        'address takes no %zone); the engine refuses the container with "invalid IP address in '
        'add-host: "db.internal""; write an IPv4 or IPv6 address, e.g. 172.22.16.10.'
    ]
    resolver = "accepts it and writes it into the container's /etc/resolv.conf as given"
    (message,), notes = _run(
        _dns_servers, SERVICE, _service(dnsConfig={"nameservers": ["10.0.0.53", "ns1"]})
    )
    assert message.startswith(
        f'service "api": taskSpec.containerSpec.dnsConfig.nameservers[1] "ns1" is not an IP '
        f"address; the engine {resolver}"
    )
    assert notes == []
    (message,), _ = _run(_dns_servers, CONTAINER, {"name": "web", "dns": ["ns1"]})
    assert message.startswith(
        f'container "web": dns[0] "ns1" is not an IP address; the engine {resolver}'
    )
    assert message.endswith("give the server's IP address, e.g. 172.22.16.53.")
    assert _run(_dns_servers, SERVICE, {"name": "api", "taskSpec": UNKNOWN}) == (
        [],
        [
            'cannot decide during preview: the DNS servers of service "api" are unknown until '
            "the update; the rule decides when the update runs"
        ],
    )
