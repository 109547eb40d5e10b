"""The `services`, `volumes` and `secrets` sections and external networks of a `topology`
config value: each bad value gets one exact message naming its config key, and a valid one
becomes the registrations the components make.

Each case starts from one valid application and changes one value.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.topology import TopologyError, load_topology
from plan import Plan, ProgramError, Registration, record_program
from tests.conftest import PROGRAM, PROJECT, PROJECT_DIR

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_FILE = "stacks/secrets/app-db-password.txt"


def valid() -> dict[str, Any]:
    return {
        "networks": {
            "front": {"subnet": "10.60.0.0/24"},
            "back": {"subnet": "10.60.1.0/24", "internal": True, "ipv6_subnet": "fd00:60:1::/64"},
            "corp": {"external": True, "network_name": "corp-shared"},
        },
        "volumes": {"dbdata": {}, "archive": {"external": True, "volume_name": "old-archive"}},
        "secrets": {"db-password": {"file": SECRET_FILE}},
        "services": {
            "web": {
                "image": "nginx:1.27-alpine",
                "networks": {"front": {"aliases": ["www"]}, "corp": None},
                "depends_on": {"api": "service_started"},
            },
            "api": {
                "image": "busybox:1.36",
                "networks": {"front": None, "back": {"ipv4_address": "auto"}},
                "secrets": {"db-password": {"env": "DB_PASSWORD"}},
                "depends_on": {"db": "service_healthy"},
                "sidecars": {"api-probe": {"image": "busybox:1.36"}},
            },
            "db": {
                "image": "postgres:16-alpine",
                "networks": {"back": {"ipv4_address": "10.60.1.20"}},
                "mounts": [
                    {"target": "/var/lib/postgresql/data", "source": "dbdata"},
                    {"target": "/archive", "source": "archive", "read_only": True},
                ],
                "secrets": {"db-password": {"file": "/run/secrets/db-password"}},
                "healthcheck": {"test": ["CMD", "pg_isready"], "interval": "2s"},
            },
        },
    }


DELETE = object()


def changed(path: str, value: Any) -> dict[str, Any]:
    """`valid()` with the value at a dotted `path` set (or removed when value is DELETE)."""
    topology = valid()
    *parents, last = path.split(".")
    node: Any = topology
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = copy.deepcopy(value)
    else:
        node[last] = copy.deepcopy(value)
    return topology


def message(topology: Any) -> str:
    with pytest.raises(TopologyError) as caught:
        load_topology(topology, PROJECT_DIR)
    return str(caught.value)


def test_valid_application_loads_with_its_auto_addresses_resolved():
    loaded = load_topology(valid(), PROJECT_DIR)
    assert loaded.services["api"].networks["back"].ipv4_address == "10.60.1.254"
    assert loaded.services["db"].depends_on == {}
    assert loaded.services["api"].depends_on == {"db": "service_healthy"}


CASES = [
    # services: structure
    (
        "services",
        ["web"],
        'topology.services: expected a map of keys to values, got ["web"]',
    ),
    (
        "services.web.volumes",
        ["dbdata:/data"],
        "topology.services.web.volumes: is not a known key; expected one of: image, build, "
        "pull, platform, command, entrypoint, env, ports, expose, healthcheck, restart, labels, "
        "capabilities_add, capabilities_drop, privileged, hostname, dns, extra_hosts, mounts, "
        "tmpfs, secrets, configs, user, working_dir, init, devices, device_requests, sysctls, "
        "ulimits, logging, stop_signal, stop_grace_period, security_opt, read_only, shm_size, "
        "memory, memory_reservation, cpus, pid_mode, ipc_mode, tty, stdin_open, container_name, "
        "networks, network_mode, sidecars, loopback_ports, depends_on, deploy",
    ),
    (
        "services.web.networks.front.aliases",
        "www",
        'topology.services.web.networks.front.aliases: expected a list, got "www"',
    ),
    (
        "services.web.networks",
        ["front"],
        'topology.services.web.networks: expected a map of keys to values, got ["front"]',
    ),
    (
        "services.web.image",
        DELETE,
        "topology.services.web.image: is required but missing",
    ),
    (
        "services.api.depends_on.db",
        "healthy",
        "topology.services.api.depends_on.db: expected one of 'service_started', "
        "'service_healthy' or 'service_completed_successfully', got \"healthy\"",
    ),
    # services: references and the dependency graph
    (
        "services.web.networks.nowhere",
        None,
        'topology.services.web.networks.nowhere: "nowhere" is not a network of this topology; '
        "networks: front, back, corp",
    ),
    (
        "services.api.depends_on.db",
        "service_completed_successfully",
        'topology.services.api.depends_on.db: waits for "db" to complete, but "db" has restart '
        '"unless-stopped", so the engine starts it again each time it exits; give it restart '
        '"no" (or "on-failure")',
    ),
    (
        "services.api.sidecars.api-probe.depends_on",
        {"cache": "service_started"},
        'topology.services.api.sidecars.api-probe.depends_on.cache: "cache" is not a service '
        "here; services: web, db",
    ),
    (
        "services.web.container_name",
        "db",
        'topology.services.db: container name "db" is already used at '
        "topology.services.web.container_name; names are unique on an engine",
    ),
    # services: networks and addresses
    (
        "services.web.networks.front.ipv4_address",
        "10.60.9.9",
        'topology.services.web.networks.front.ipv4_address: "10.60.9.9" is outside the subnet '
        "10.60.0.0/24",
    ),
    (
        "services.api.networks.back.ipv4_address",
        "10.60.1.20",
        'topology.services.db.networks.back.ipv4_address: "10.60.1.20" is already taken by '
        'container "api"',
    ),
    (
        "services.web.networks.front.ipv6_address",
        "fd00:60::9",
        'topology.services.web.networks.front.ipv6_address: network "front" has no IPv6 '
        "subnet, so the engine gives it no IPv6 addresses; give the network an ipv6_subnet",
    ),
    (
        "services.api.networks.back.ipv6_address",
        "fd00:99::9",
        'topology.services.api.networks.back.ipv6_address: "fd00:99::9" is outside '
        'fd00:60:1::/64 of "back"',
    ),
    (
        "services.web.networks.bridge",
        {"aliases": ["www2"]},
        'topology.services.web.networks.bridge.aliases: network "bridge" is predefined, and '
        "aliases work only on user-defined networks; attach to a UserDefinedNetwork",
    ),
    (
        "services.web.network_mode",
        "host",
        'topology.services.web.network_mode: "host" networking and networks exclude each other; '
        "remove one of them",
    ),
    (
        "services.api.networks.front",
        {"aliases": ["www"]},
        'topology.services.api.networks.front.aliases[0]: "www" already resolves to "web" on '
        '"front"',
    ),
    # services: sidecars
    (
        "services.api.sidecars.api-probe.aliases",
        ["probe"],
        "topology.services.api.sidecars.api-probe.aliases: a container sharing another's "
        'network namespace has no network aliases of its own; give the aliases to the owner "api"',
    ),
    (
        "services.api.sidecars.api-probe.networks",
        ["back"],
        "topology.services.api.sidecars.api-probe.networks: a container sharing another's "
        'network namespace cannot join networks of its own; attach the owner "api" to them',
    ),
    (
        "services.api.sidecars.api-probe.ports",
        [{"internal": 80}],
        "topology.services.api.sidecars.api-probe.ports: a container sharing another's network "
        'namespace cannot publish ports; publish them on the owner "api"',
    ),
    # external networks
    (
        "networks.corp.subnet",
        "10.61.0.0/24",
        "topology.networks.corp.subnet: has no effect on an external network, which exists "
        "already and is only used here; remove it (keep network_name)",
    ),
    (
        "networks.corp.internal",
        True,
        "topology.networks.corp.internal: has no effect on an external network, which exists "
        "already and is only used here; remove it (keep network_name)",
    ),
    (
        "networks.corp.external",
        "sometimes",
        'topology.networks.corp.external: expected true or false, got "sometimes"',
    ),
    (
        "services.web.networks.corp",
        {"ipv4_address": "auto"},
        'topology.services.web.networks.corp.ipv4_address: "auto" needs a UserDefinedNetwork to '
        'hand out addresses; network "corp-shared" is external, so give the address itself',
    ),
    (
        "networks.front.network_name",
        "corp-shared",
        'topology.networks.corp.network_name: "corp-shared" is also the engine name of '
        "topology.networks.front; network names are unique",
    ),
    # volumes and mounts
    (
        "volumes.archive.driver",
        "local",
        "topology.volumes.archive.external: an external volume is not managed; remove driver, "
        "options, labels",
    ),
    (
        "volumes.dbdata.volume_name",
        "-x",
        'topology.volumes.dbdata.volume_name: "-x" is not a valid volume name: the engine wants '
        "two or more characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
    ),
    (
        "volumes.dbdata.size",
        "1g",
        "topology.volumes.dbdata.size: is not a known key; expected one of: volume_name, "
        "external, driver, driver_opts, labels",
    ),
    (
        "services.db.mounts.0.source",
        "nodata",
        'topology.services.db.mounts[0].source: "nodata" is not a volume of this topology; '
        "volumes: dbdata, archive",
    ),
    (
        "services.db.mounts.0.target",
        "data",
        'topology.services.db.mounts[0].target: "data" is not an absolute path',
    ),
    (
        "services.db.mounts.0.type",
        "nfs",
        "topology.services.db.mounts[0].type: expected one of 'volume', 'bind' or 'tmpfs', "
        'got "nfs"',
    ),
    (
        "services.db.mounts.1",
        {"target": "/cache", "type": "tmpfs", "source": "dbdata"},
        "topology.services.db.mounts[1].source: a tmpfs has no source; remove it",
    ),
    # secrets
    (
        "secrets.db-password",
        {"file": SECRET_FILE, "environment": "DB_PASSWORD"},
        "topology.secrets.db-password: needs exactly one of config, file or environment to say "
        "where its text comes from; given: file, environment",
    ),
    (
        "secrets.db-password",
        {},
        "topology.secrets.db-password: needs exactly one of config, file or environment to say "
        "where its text comes from; given: none",
    ),
    (
        "secrets.db-password.value",
        "hunter2",
        "topology.secrets.db-password.value: is not a known key; expected one of: config, file, "
        "environment",
    ),
    (
        "services.db.secrets.db-password.value",
        "hunter2",
        "topology.services.db.secrets.db-password.value: would put a secret's text in the stack "
        "file; declare it under secrets with config, file or environment",
    ),
    (
        "services.db.secrets.api-key",
        {"env": "API_KEY"},
        'topology.services.db.secrets.api-key: "api-key" is not a secret of this topology; '
        "secrets: db-password",
    ),
    (
        "services.db.secrets.db-password.file",
        "run/secrets/pw",
        'topology.services.db.secrets.db-password.file: "run/secrets/pw" is not an absolute path',
    ),
    (
        "services.db.read_only",
        True,
        "topology.services.db.secrets.db-password.file: cannot be written into a read-only root "
        'filesystem (the engine refuses the upload: "container rootfs is marked read-only"); '
        "give the secret as env, or drop read_only",
    ),
    (
        "services.api.env",
        {"DB_PASSWORD": "plain"},
        'topology.services.api.secrets.db-password.env: "DB_PASSWORD" is also set in env; set it '
        "in one place",
    ),
    # configs
    (
        "configs",
        {"site": {"content": "a", "file": "site.conf"}},
        "topology.configs.site: needs exactly one of file, content or environment to say where "
        "its text comes from; given: file, content",
    ),
    (
        "services.web.configs",
        {"site": {"target": "/etc/site.conf"}},
        'topology.services.web.configs.site: "site" is not a config of this topology; configs: '
        "none",
    ),
    (
        "services.web.configs",
        {"db-password": {"content": "a"}},
        "topology.services.web.configs.db-password.content: is given by the topology's configs "
        "section; declare the config there with file, content or environment",
    ),
    (
        "services.db.secrets.db-password.mode",
        "u+r",
        'topology.services.db.secrets.db-password.mode: "u+r" is not a file mode; write it in '
        'octal, e.g. "0440"',
    ),
    (
        "services.db.secrets.db-password.uid",
        "postgres",
        'topology.services.db.secrets.db-password.uid: "postgres" is not a number; give the '
        "numeric id (a name would be looked up on the deploying host, not in the image)",
    ),
    # builds
    (
        "services.api.build",
        {"context": "app"},
        'topology.services.api.sidecars.api-probe.image: "busybox:1.36" is built for '
        "topology.services.api, and a pull of that tag would race the build; give this "
        "container the same build",
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_value_gets_one_message_naming_its_key(path, value, expected):
    assert message(changed(path, value)) == expected


def test_a_joined_groups_sidecar_may_not_wait_for_services():
    topology = valid()
    topology["joined_groups"] = {
        "edge": {
            "owner": {"name": "edge-web", "image": "nginx:1.27-alpine"},
            "sidecars": {"edge-app": {"image": "app", "depends_on": {"db": "service_started"}}},
        }
    }
    assert message(topology) == (
        "topology.joined_groups.edge.sidecars.edge-app.depends_on: names services to wait for, "
        "which only the sidecars of an Application's services can; a joined group's sidecars "
        "wait for their owner only"
    )


def test_relative_bind_mounts_and_build_contexts_resolve_against_the_project():
    topology = changed("services.web.mounts", [{"type": "bind", "source": "site", "target": "/s"}])
    topology["services"]["web"]["build"] = {"context": "web", "dockerfile": "Dockerfile.dev"}
    topology["services"]["web"]["image"] = "web:dev"
    web = load_topology(topology, PROJECT_DIR).services["web"]
    assert web.mounts[0].source == str(PROJECT_DIR / "site")
    assert web.build is not None and web.build.context == str(PROJECT_DIR / "web")


# -- the program: config -> registrations ------------------------------------------------------


def record(topology: Any, **config: str) -> Plan:
    values = {f"{PROJECT}:topology": json.dumps(topology)}
    values.update({f"{PROJECT}:{key}": value for key, value in config.items()})
    return record_program(PROGRAM, project=PROJECT, stack="test", config=values)


def containers(plan: Plan) -> dict[str, Registration]:
    return {str(r.inputs["name"]): r for r in plan.of_type(CONTAINER)}


def test_services_become_one_application_with_volumes_and_external_networks_used():
    plan = record(valid())
    assert sorted(r.inputs["name"] for r in plan.of_type(NETWORK)) == ["back", "front"]
    assert [r.inputs for r in plan.of_type(VOLUME)] == [{"name": "dbdata"}]
    by_name = containers(plan)
    assert sorted(by_name) == ["api", "api-probe", "db", "web"]
    assert by_name["web"].inputs["networksAdvanced"] == [
        {"name": "front", "aliases": ["www"]},
        {"name": "corp-shared"},
    ]
    assert by_name["api"].inputs["networksAdvanced"] == [
        {"name": "front"},
        {"name": "back", "ipv4Address": "10.60.1.254"},
    ]
    assert by_name["db"].inputs["mounts"] == [
        {"target": "/var/lib/postgresql/data", "type": "volume", "source": "dbdata"},
        {"target": "/archive", "type": "volume", "source": "old-archive", "readOnly": True},
    ]
    assert by_name["db"].inputs["wait"] is True
    assert plan.named("dbdata-volume").urn in by_name["db"].dependencies
    assert by_name["db"].urn in by_name["api"].dependencies
    assert by_name["api"].urn in by_name["web"].dependencies
    assert by_name["api-probe"].inputs["networkMode"] == "container:api"
    assert plan.named("app").type == "container-comms:index:Application"
    assert plan.exports["serviceNames"] == {
        "front": {"web": ["web", "www"], "api": ["api"]},
        "corp-shared": {"web": ["web"]},
        "back": {"api": ["api"], "db": ["db"]},
    }
    assert plan.exports["staticAddresses"] == {"back": {"api": "10.60.1.254", "db": "10.60.1.20"}}


def _secret(text: str) -> dict[str, str]:
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": text}


def test_secrets_come_from_a_file_the_environment_or_config_and_stay_secret(monkeypatch):
    file_text = (PROJECT_DIR / SECRET_FILE).read_text(encoding="utf-8")
    monkeypatch.setenv("CC_TEST_API_TOKEN", "token-from-env")
    topology = valid()
    topology["secrets"]["api-token"] = {"environment": "CC_TEST_API_TOKEN"}
    topology["secrets"]["api-key"] = {"config": "apiKey"}
    topology["services"]["api"]["secrets"].update(
        {
            "api-token": {"file": "/run/secrets/token", "mode": "0440", "uid": "70", "gid": "70"},
            "api-key": {"env": "API_KEY"},
        }
    )
    by_name = containers(record(topology, apiKey="key-from-config"))
    assert by_name["db"].inputs["uploads"] == [
        {"file": "/run/secrets/db-password", "content": _secret(file_text), "permissions": "0444"}
    ]
    assert by_name["api"].inputs["envs"] == [
        _secret(f"DB_PASSWORD={file_text.rstrip()}"),
        _secret("API_KEY=key-from-config"),
    ]
    assert by_name["api"].inputs["uploads"] == [
        {
            "file": "/run/secrets/token",
            "content": _secret("token-from-env"),
            "permissions": "0440",
            "owner": "70",
            "group": "70",
        }
    ]


def test_configs_come_from_a_file_text_or_the_environment(monkeypatch):
    """A config file is mounted read-only from the project folder; text (given, or from the
    environment) is copied in, 0444 owned by root unless the use says otherwise."""
    monkeypatch.setenv("CC_TEST_SITE", "server { listen 80; }")
    topology = valid()
    topology["configs"] = {
        "pg": {"file": SECRET_FILE},
        "motd": {"content": "hello\n"},
        "site": {"environment": "CC_TEST_SITE"},
    }
    topology["services"]["web"]["configs"] = {
        "site": {"target": "/etc/nginx/conf.d/site.conf", "mode": "0640", "uid": "101"},
        "motd": {},
    }
    topology["services"]["db"]["configs"] = {"pg": {"target": "/etc/postgresql.conf"}}
    by_name = containers(record(topology))
    assert by_name["web"].inputs["uploads"] == [
        {
            "file": "/etc/nginx/conf.d/site.conf",
            "content": "server { listen 80; }",
            "permissions": "0640",
            "owner": "101",
        },
        {"file": "/motd", "content": "hello\n", "permissions": "0444"},
    ]
    assert by_name["db"].inputs["mounts"][-1] == {
        "target": "/etc/postgresql.conf",
        "type": "bind",
        "source": str(PROJECT_DIR / SECRET_FILE),
        "readOnly": True,
    }


def test_every_config_source_that_gives_nothing_is_reported():
    topology = valid()
    topology["configs"] = {
        "pg": {"file": "stacks/missing.conf"},
        "out": {"file": "../outside.conf"},
        "site": {"environment": "CC_TEST_UNSET_VARIABLE"},
    }
    with pytest.raises(ProgramError) as caught:
        record(topology)
    assert str(caught.value).splitlines() == [
        'topology.configs.pg.file: "stacks/missing.conf" is not a regular file; name a file in '
        "the project folder",
        f'topology.configs.out.file: "../outside.conf" resolves to {PROJECT_DIR.parent}'
        "/outside.conf, outside the project folder; name a file in the project folder",
        'topology.configs.site.environment: "CC_TEST_UNSET_VARIABLE" is not set in the '
        "environment of this run; set it, or give the config as content or a file",
    ]


def test_every_secret_source_that_gives_nothing_is_reported(tmp_path: Path):
    topology = valid()
    topology["secrets"] = {
        "db-password": {"file": "stacks/secrets/missing.txt"},
        "api-token": {"environment": "CC_TEST_UNSET_VARIABLE"},
        "api-key": {"config": "apiKey"},
    }
    with pytest.raises(ProgramError) as caught:
        record(topology)
    assert str(caught.value).splitlines() == [
        'topology.secrets.db-password.file: "stacks/secrets/missing.txt" cannot be read (No such '
        "file or directory); name a text file in the project folder",
        'topology.secrets.api-token.environment: "CC_TEST_UNSET_VARIABLE" is not set in the '
        "environment of this run; set it, or take the secret from config",
        'topology.secrets.api-key.config: "apiKey" is not set in this stack\'s config; set it '
        "with `pulumi config set --secret apiKey <text>`",
    ]
