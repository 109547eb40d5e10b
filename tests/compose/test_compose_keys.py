"""The compose key table holds every key of the compose-spec schema Compose 2.40.3 ships, and
each key becomes what its row says.

- The table's paths are exactly the schema's (`schema/compose-spec.json`, compose-go v2.9.1).
- Fixtures under `keys/` use every key: `engine/` and `swarm/` the keys that deploy (each `m_*`
  or `s_*` service is checked against the wire properties the plan holds for it; each `n_*`
  service, holding keys of no effect, must become exactly what `base` becomes), `refused/` and
  `swarm-refused/` the refused keys (each refused at its path with its row's reason),
  `compose/` the keys Compose settles itself (present in the file, absent from the model).
  A row no fixture uses fails `test_every_row_is_proven_by_a_fixture`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.compose_file import normalise_compose_file
from components.problems import Problem
from components.topology.compose import NO_IPV6_POOL
from components.topology.compose_keys import KEYS, UNKNOWN_KEY, Use, key_problems, rows_in
from plan import Plan, ProgramError, Registration, record_program
from tests.conftest import PROGRAM, PROJECT, PROJECT_DIR

SCHEMA = Path(__file__).parent / "schema" / "compose-spec.json"
KEYS_DIR = "tests/compose/keys"
CONTAINER = "docker:index/container:Container"
SERVICE = "docker:index/service:Service"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
BUILD = "docker:index/image:Image"
TARGETS = {"engine": "engine", "refused": "engine", "swarm": "swarm", "swarm-refused": "swarm"}
PROJECTS = {"engine": "keys", "refused": "keys", "swarm": "stack", "swarm-refused": "stack"}
ENV = {"KEYS_TOKEN": "from-the-environment"}


# --- the schema ------------------------------------------------------------------------------


def schema_paths() -> set[str]:
    """Every key path of the schema: `*` for a name, `[]` for a list item, `x-` skipped."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    definitions = schema["definitions"]
    found: set[str] = set()

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: dict[str, Any], path: str, seen: frozenset[str]) -> None:
        node = resolve(node)
        for alternative in [*node.get("oneOf", []), *node.get("anyOf", []), *node.get("allOf", [])]:
            walk(alternative, path, seen)
        for key, child in (node.get("properties") or {}).items():
            where = f"{path}.{key}" if path else key
            found.add(where)
            ref = child.get("$ref")
            if ref not in seen:
                walk(child, where, seen | {ref} if ref else seen)
        for pattern, child in (node.get("patternProperties") or {}).items():
            if not pattern.startswith("^x-"):
                walk(child, f"{path}.*", seen)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{path}.*", seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]", seen)

    walk(schema, "", frozenset())
    return found


def test_the_table_has_one_row_for_every_key_of_the_schema() -> None:
    paths = schema_paths()
    assert len(paths) == 344
    assert sorted(paths - set(KEYS)) == []
    assert sorted(set(KEYS) - paths) == []


def test_every_row_says_what_the_key_becomes_or_why_it_is_refused() -> None:
    for row in KEYS.values():
        for outcome in (row.engine, row.swarm):
            if outcome is None:
                continue
            if outcome.verdict in ("mapped", "advisory"):
                assert outcome.to and outcome.wire, row.path
            if outcome.verdict in ("compose", "no effect"):
                assert outcome.to and not outcome.wire, row.path
            if outcome.verdict in ("refused", "advisory"):
                assert outcome.note, row.path


# --- the fixtures ----------------------------------------------------------------------------


def fixture_file(name: str) -> str:
    return f"{KEYS_DIR}/{name}/compose.yaml"


@cache
def model(name: str) -> dict[str, Any]:
    profiles = ("web",) if name in ("compose", "engine") else ()
    return normalise_compose_file(
        PROJECT_DIR, fixture_file(name), project_name=PROJECTS.get(name, name), profiles=profiles
    ).model


def uses(name: str) -> Iterator[Use]:
    return rows_in(model(name))


def deployed(name: str) -> Plan:
    config = {
        f"{PROJECT}:composeFile": fixture_file(name),
        f"{PROJECT}:composeProject": PROJECTS[name],
        f"{PROJECT}:composeTarget": TARGETS[name],
        f"{PROJECT}:composeProfiles": json.dumps(["web"]),
    }
    return record_program(PROGRAM, project=PROJECT, stack="keys", config=config, preview=True)


@pytest.fixture
def token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


@cache
def _plan(name: str) -> Plan:
    import os

    before = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        return deployed(name)
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _by_name(plan: Plan, kind: str) -> dict[str, Registration]:
    return {r.inputs["name"]: r for r in plan.of_type(kind)}


def _outcome_uses(name: str) -> dict[str, set[str]]:
    """Verdict -> the table paths the fixture's model uses with that verdict on its target."""
    found: dict[str, set[str]] = {}
    for use in uses(name):
        assert use.row is not None, f"{name}: {use.where} is not in the table"
        verdict = use.row.on(TARGETS[name]).verdict
        if verdict == "refused" and use.value in (None, {}, []):
            continue
        found.setdefault(verdict, set()).add(use.path)
    return found


def test_every_row_is_proven_by_a_fixture() -> None:
    engine: set[str] = set()
    swarm: set[str] = set()
    for name in ("engine", "refused"):
        for verdict, paths in _outcome_uses(name).items():
            assert verdict != "compose"
            if name == "refused":
                assert verdict in ("refused", "mapped", "no effect"), verdict
                engine |= {p for p in paths if verdict == "refused"}
                engine |= {p for p in paths if p in ("services.*.blkio_config",)}
            else:
                assert verdict != "refused", sorted(paths)
                engine |= paths
    for name in ("swarm", "swarm-refused"):
        for verdict, paths in _outcome_uses(name).items():
            if name == "swarm-refused":
                swarm |= {p for p in paths if verdict == "refused"}
            else:
                assert verdict != "refused", sorted(paths)
                swarm |= paths
    settled = {u.path for u in rows_in(_raw("compose"))}
    for path, row in KEYS.items():
        if row.engine.verdict == "compose":
            assert path in settled, f"{path}: no fixture writes it"
        else:
            assert path in engine, f"{path}: no engine fixture uses it"
        if row.swarm is not None and row.swarm.verdict != "compose":
            assert path in swarm, f"{path}: no swarm fixture uses it"


def _raw(name: str) -> dict[str, Any]:
    text = (PROJECT_DIR / fixture_file(name)).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_keys_compose_settles_never_reach_the_model() -> None:
    settled = [u.where for u in uses("compose") if u.row and u.row.engine.verdict == "compose"]
    assert settled == []
    assert "include" not in model("compose") and "models" not in model("compose")
    web = model("compose")["services"]["web"]
    assert (web["image"], web["environment"], web["labels"]) == (
        "busybox:1.36",  # from extends
        {"A": "1"},  # from env_file
        {"team": "web"},  # from label_file
    )
    assert "helper" in model("compose")["services"]  # from include
    assert model("compose")["networks"]["old"] == {"name": "old-net", "ipam": {}, "external": True}


# --- refused keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["refused", "swarm-refused"])
def test_each_refused_key_is_refused_at_its_path_with_its_rows_reason(name: str) -> None:
    file = fixture_file(name)
    found = key_problems(file, model(name), TARGETS[name])
    want: list[Problem] = []
    for use in uses(name):
        assert use.row is not None
        outcome = use.row.on(TARGETS[name])
        if outcome.verdict != "refused" or use.value in (None, {}, []):
            continue
        if any(use.where[: len(p.path)] == p.path for p in want):
            continue  # inside a refused key: that key's refusal says it
        want.append(Problem(use.where, outcome.note, "unsupported", file=file))
    assert len(want) > 20
    assert found.refusals == want
    with pytest.raises(ProgramError) as caught:
        deployed(name)
    assert str(caught.value).splitlines()[: len(want)] == [f"{p.field}: {p.reason}" for p in want]


def test_refusals_name_the_key_and_the_fix() -> None:
    file = fixture_file("refused")
    by_field = {p.field: p.reason for p in key_problems(file, model("refused")).refusals}
    assert by_field[f"{file}: services.r_process.cpu_rt_runtime"] == (
        "compose sets the container's real-time CPU scheduling; pulumi-docker 5.2.0 has no input "
        "for it, so the container would run without it; remove it, or deploy this file with "
        "docker compose"
    )
    assert by_field[f"{file}: services.r_process.dns_search"] == (
        "is not supported by container-comms; remove it, or deploy this file with docker compose"
    )
    assert by_field[f"{file}: services.r_blkio.blkio_config.weight_device"] == (
        "compose sets the container's block IO weight; pulumi-docker 5.2.0 has no input for it, "
        "so the container would run without it; remove it, or deploy this file with docker "
        "compose"
    )
    assert by_field[f"{file}: services.r_blkio.blkio_config.device_read_bps"] == (
        "is not supported by container-comms; remove it, or deploy this file with docker compose"
    )
    # Inside a refused key, nothing more is reported.
    assert not [f for f in by_field if ".device_read_bps[" in f]


def test_a_key_outside_the_specification_is_refused() -> None:
    problems = key_problems("c.yaml", {"services": {"web": {"image": "x", "cpu_magic": 1}}})
    assert problems.refusals == [
        Problem(("services", "web", "cpu_magic"), UNKNOWN_KEY, "unsupported", file="c.yaml")
    ]


# --- mapped keys on one engine: what each becomes on the wire --------------------------------

LABELS = [
    {"label": "container-comms.group", "value": "keys"},
    {"label": "container-comms.role", "value": "service"},
    {"label": "container-comms.stack", "value": "keys"},
]

ENGINE_WIRE: dict[str, dict[str, Any]] = {
    "m-process": {
        "command": ["sleep", "1"],
        "entrypoints": ["/bin/sh", "-c"],
        "envs": ["A=1"],
        "hostname": "box",
        "user": "1000:1000",
        "workingDir": "/srv",
        "init": True,
        "tty": True,
        "stdinOpen": True,
        "restart": "always",
        "stopSignal": "SIGINT",
        "stopTimeout": 20,
        "readOnly": True,
        "privileged": True,
        "capabilities": {"adds": ["NET_ADMIN"], "drops": ["MKNOD"]},
        "securityOpts": ["no-new-privileges:true"],
        "sysctls": {"net.core.somaxconn": "1024"},
        "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}],
        "logDriver": "json-file",
        "logOpts": {"max-size": "1m"},
        "pidMode": "host",
        "ipcMode": "shareable",
        "shmSize": 64,
        "memory": 128,
        "cpus": "0.5",
        "platform": "linux/amd64",
        "dns": ["10.0.0.53"],
        "hosts": [{"host": "db.local", "ip": "10.0.0.5"}],
        "devices": [{"hostPath": "/dev/null", "containerPath": "/dev/nothing", "permissions": "r"}],
        "labels": [
            {"label": "container-comms.expose", "value": "8080"},
            *LABELS,
            {"label": "team", "value": "web"},
        ],
    },
    "keys-m_health-1": {
        "healthcheck": {
            "tests": ["CMD", "true"],
            "interval": "5s",
            "timeout": "2s",
            "startPeriod": "1s",
            "retries": 4,
        },
        "wait": True,  # m_net depends on it being healthy
    },
    "keys-m_nohealth-1": {
        "healthcheck": {
            "tests": ["NONE"],
            "interval": "0s",
            "timeout": "0s",
            "startPeriod": "0s",
            "retries": 0,
        },
    },
    "keys-m_build-1": {"image": "keys-built:1"},
    "keys-m_never-1": {"image": "busybox:1.36"},
    "keys-m_storage-1": {
        "tmpfs": {"/run": "size=64m,mode=1777,noexec", "/tmp": ""},
        "mounts": [
            {"type": "volume", "source": "keys-data", "target": "/data", "readOnly": True},
            {
                "type": "tmpfs",
                "target": "/cache",
                "tmpfsOptions": {"sizeBytes": 1048576, "mode": 1777},
            },
            {"type": "volume", "source": "keys-old", "target": "/old"},
            {  # a file secret: the host file, mounted read-only as compose mounts it
                "type": "bind",
                "source": str(PROJECT_DIR / KEYS_DIR / "engine" / "token.txt"),
                "target": "/run/secrets/token",
                "readOnly": True,
            },
        ],
        "volumes": [
            {"hostPath": str(PROJECT_DIR / KEYS_DIR / "engine" / "app"), "containerPath": "/app"}
        ],
        "uploads": [{"file": "/run/secrets/fromenv", "permissions": "0444"}],
    },
    "keys-m_files-1": {
        # A config's file is mounted read-only, as compose mounts it; text is copied in.
        "mounts": [
            {
                "type": "bind",
                "source": str(PROJECT_DIR / KEYS_DIR / "engine" / "token.txt"),
                "target": "/etc/site.conf",
                "readOnly": True,
            }
        ],
        "uploads": [
            {"file": "/run/secrets/owned", "permissions": "0440", "owner": "70", "group": "71"},
            {"file": "/etc/inline.conf", "permissions": "0640", "owner": "101", "group": "102"},
            {"file": "/envcfg", "permissions": "0444"},
        ],
    },
    "keys-m_net-1": {
        "ports": [{"internal": 80, "external": 8080, "ip": "127.0.0.1", "protocol": "tcp"}],
        "networksAdvanced": [
            {"name": "keys-back", "aliases": ["m_net"]},
            {
                "name": "keys-front",
                "aliases": ["m_net", "www"],
                "ipv4Address": "172.30.5.10",
                "ipv6Address": "fd00:5::10",
                "gwPriority": 10,
                "driverOpts": ["com.docker.network.endpoint.ifname=eth7"],
            },
        ],
    },
    "keys-m_health_net-1": {
        # `links: ["m_health_net:checker"]` of m_net: the link names, as aliases.
        "networksAdvanced": [
            {"name": "keys-front", "aliases": ["m_health_net", "checker", "m_health_net-1"]}
        ],
    },
    "keys-m_mode-1": {"networkMode": "host"},
    "keys-m_pids-1": {"image": "busybox:1.36"},
    "keys-m_gpus-1": {
        # `gpus` entries get the `gpu` capability, as compose asks them; then the reservations.
        "deviceRequests": [
            {
                "driver": "nvidia",
                "count": -1,
                "capabilities": ["compute", "gpu"],
                "options": {"a": "b"},
            },
            {"deviceIds": ["0"], "capabilities": ["gpu"]},
            {"driver": "nvidia", "count": 1, "capabilities": ["gpu"], "options": {"c": "d"}},
            {"deviceIds": ["1"], "capabilities": ["gpu"]},
        ],
    },
    "keys-m_deploy-1": {
        "memory": 64,
        "cpus": "0.25",
        "memoryReservation": 32,
        "restart": "on-failure",
    },
}
"""Container name -> wire inputs it must hold (uploads compared without their secret content)."""


def _without_content(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_content(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_content(v) for k, v in value.items() if k != "content"}
    return value


@pytest.mark.parametrize("container", sorted(ENGINE_WIRE))
def test_mapped_keys_become_their_wire_properties_on_one_engine(container: str) -> None:
    inputs = _by_name(_plan("engine"), CONTAINER)[container].inputs
    for prop, want in ENGINE_WIRE[container].items():
        assert _without_content(inputs.get(prop)) == want, f"{container}.{prop}"


def test_every_mapped_engine_service_has_its_wire_checked() -> None:
    names = {
        str(s.get("container_name") or f"keys-{key}-1")
        for key, s in model("engine")["services"].items()
        if key.startswith("m_")
    }
    assert names == set(ENGINE_WIRE)


def test_image_keys_choose_pull_build_and_platform() -> None:
    plan = _plan("engine")
    pulls = {(r.inputs["name"], r.inputs.get("platform")) for r in plan.of_type(IMAGE)}
    assert pulls == {("busybox:1.36", None), ("busybox:1.36", "linux/amd64")}
    builds = [r.inputs for r in plan.of_type(BUILD)]
    app = str(PROJECT_DIR / KEYS_DIR / "engine" / "app")
    assert builds == [
        {
            "imageName": "keys-built:1",
            "skipPush": True,
            "buildOnPreview": False,
            "build": {
                "context": app,
                "dockerfile": f"{app}/Dockerfile",
                "args": {"V": "1"},
                "target": "base",
            },
        }
    ]
    containers = _by_name(plan, CONTAINER)
    urns = {r.urn: r for r in plan.resources}
    depends = {
        name: sorted(
            urns[u].type
            for u in containers[name].dependencies
            if u in urns and urns[u].type in (IMAGE, BUILD)
        )
        for name in ("keys-m_never-1", "keys-base-1", "m-process", "keys-m_build-1")
    }
    assert depends == {
        "keys-m_never-1": [],  # pull_policy: never: the engine's copy
        "keys-base-1": [IMAGE],
        "m-process": [IMAGE],  # its own pull, for linux/amd64
        "keys-m_build-1": [BUILD],
    }
    platform_pull = next(r for r in plan.of_type(IMAGE) if r.inputs.get("platform"))
    assert platform_pull.urn in containers["m-process"].dependencies


def test_network_and_volume_keys_become_their_wire_properties() -> None:
    plan = _plan("engine")
    networks = {name: r.inputs for name, r in _by_name(plan, NETWORK).items()}
    assert networks["keys-front"] == {
        "name": "keys-front",
        "driver": "bridge",
        "internal": True,
        "ipv6": True,
        "ipamDriver": "default",
        "ipamConfigs": [
            {
                "subnet": "172.30.5.0/24",
                "gateway": "172.30.5.1",
                "ipRange": "172.30.5.128/25",
                "auxAddress": {"router": "172.30.5.2"},
            },
            {"subnet": "fd00:5::/64", "gateway": "fd00:5::1"},
        ],
        "options": {"com.docker.network.bridge.name": "keysfront0"},
        "labels": [{"label": "tier", "value": "front"}],
    }
    assert "keys-back" not in networks  # external: used, never created
    volumes = {name: r.inputs for name, r in _by_name(plan, VOLUME).items()}
    assert volumes == {
        "keys-data": {
            "name": "keys-data",
            "driver": "local",
            "driverOpts": {"type": "tmpfs", "device": "tmpfs"},
            "labels": [{"label": "tier", "value": "data"}],
        }
    }


def _comparable(inputs: dict[str, Any]) -> dict[str, Any]:
    """A container's inputs without what tells containers apart (name, own aliases)."""
    out = {k: v for k, v in inputs.items() if k not in ("name", "networksAdvanced", "ports")}
    out["networks"] = [n["name"] for n in inputs.get("networksAdvanced") or []]
    return out


def test_keys_of_no_effect_on_one_engine_deploy_nothing() -> None:
    containers = _by_name(_plan("engine"), CONTAINER)
    noop, base = containers["keys-n_noop-1"].inputs, containers["keys-base-1"].inputs
    assert _comparable(noop) == _comparable(base)
    assert noop["ports"] == [{"internal": 81, "external": 8081, "ip": "0.0.0.0", "protocol": "tcp"}]


def test_advisories_say_what_the_deployment_differs_in() -> None:
    file = fixture_file("engine")
    found = key_problems(file, model("engine"))
    assert found.refusals == []
    where = {p.field.removeprefix(f"{file}: "): p.reason for p in found.advisories}
    assert sorted(where) == [
        "services.m_deploy.deploy.resources.limits.pids",
        "services.m_net.links",
        "services.m_net.networks.front.interface_name",
        "services.m_pids.pids_limit",
        "services.m_storage.volumes[1].bind.selinux",
    ]
    assert where["services.m_storage.volumes[1].bind.selinux"] == (
        "the host folder is not relabelled (pulumi-docker 5.2.0 has no relabel option): on a "
        "host without SELinux that changes nothing; on an SELinux host the container cannot read "
        "it until you relabel it (chcon -Rt container_file_t <folder>)"
    )
    assert where["services.m_pids.pids_limit"] == (
        "the container runs with no limit on its number of processes: compose sets one, and "
        "pulumi-docker 5.2.0 has no input for it"
    )


# --- mapped keys on a swarm ------------------------------------------------------------------


def test_deploy_keys_become_the_swarm_services_wire_properties() -> None:
    services = _by_name(_plan("swarm"), SERVICE)
    web = services["stack_s_deploy"].inputs
    assert web["mode"] == {"replicated": {"replicas": 2}}
    assert web["endpointSpec"] == {
        "mode": "dnsrr",
        "ports": [
            {"protocol": "tcp", "targetPort": 80, "publishedPort": 8080, "publishMode": "host"}
        ],
    }
    assert {"label": "tier", "value": "web"} in web["labels"]
    task = web["taskSpec"]
    assert task["resources"] == {
        "limits": {"memoryBytes": 67108864, "nanoCpus": 500000000},
        "reservation": {"memoryBytes": 33554432, "nanoCpus": 250000000},
    }
    assert task["restartPolicy"] == {
        "condition": "on-failure",
        "maxAttempts": 3,
        "delay": "5s",
        "window": "20s",
    }
    assert task["placement"] == {"constraints": ["node.role==worker"], "maxReplicas": 1}
    assert web["updateConfig"] == {
        "parallelism": 2,
        "delay": "1s",
        "failureAction": "rollback",
        "monitor": "3s",
        "maxFailureRatio": "0.5",
        "order": "start-first",
    }
    assert web["rollbackConfig"] == {
        "parallelism": 1,
        "delay": "2s",
        "failureAction": "continue",
        "monitor": "4s",
        "maxFailureRatio": "0.25",
        "order": "stop-first",
    }
    network = _by_name(_plan("swarm"), NETWORK)["stack_mesh"].inputs
    assert (network["driver"], network["attachable"]) == ("overlay", True)


def test_links_do_nothing_on_a_swarm() -> None:
    services = _by_name(_plan("swarm"), SERVICE)
    linked, base = services["stack_n_links"].inputs, services["stack_base"].inputs
    strip = lambda s: {k: v for k, v in s.items() if k not in ("name", "taskSpec")}  # noqa: E731
    assert strip(linked) == strip(base)
    assert linked["taskSpec"]["containerSpec"] == base["taskSpec"]["containerSpec"]
    assert linked["taskSpec"]["networksAdvanceds"][0]["aliases"] == ["n_links"]


# --- values a key may not take ---------------------------------------------------------------


def _translation_problems(tmp_path: Path, text: str) -> list[str]:
    from components.topology.compose import ComposeMappingError, compose_topology

    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    normalised = normalise_compose_file(tmp_path, "compose.yaml", project_name="p")
    try:
        compose_topology(normalised.model, "compose.yaml")
    except ComposeMappingError as error:
        return [f"{p.field}: {p.reason}" for p in error.problems]
    return []


def test_enable_ipv6_without_an_ipv6_subnet_is_refused_with_the_engines_reason(
    tmp_path: Path,
) -> None:
    text = (
        "services:\n  a: {image: busybox, networks: [v6]}\nnetworks:\n  v6: {enable_ipv6: true}\n"
    )
    assert _translation_problems(tmp_path, text) == [
        f"compose.yaml: networks.v6.enable_ipv6: {NO_IPV6_POOL}"
    ]


def test_tmpfs_options_are_checked_one_by_one(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: busybox\n    tmpfs: ['/run:size=big,mode=1777,fast']\n"
    assert _translation_problems(tmp_path, text) == [
        'compose.yaml: services.a.tmpfs[0]: "size=big" is not a valid size (e.g. size=64m, '
        "mode=1777)",
        'compose.yaml: services.a.tmpfs[0]: "fast" is not a tmpfs option; use size=, mode=, '
        "uid=, gid=, nr_inodes= or mount flags such as noexec, nosuid, nodev",
    ]


def test_a_health_check_without_a_test_is_refused(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: busybox\n    healthcheck: {interval: 5s}\n"
    assert _translation_problems(tmp_path, text) == [
        "compose.yaml: services.a.healthcheck: sets timings without a test, which keeps the "
        "image's own test; pulumi-docker needs the test itself: repeat the image's test here"
    ]


def test_more_than_one_container_per_service_is_refused_on_one_engine(tmp_path: Path) -> None:
    text = (
        "services:\n  a:\n    image: busybox\n    deploy: {replicas: 2}\n"
        "  b:\n    image: busybox\n    scale: 3\n"
    )
    assert _translation_problems(tmp_path, text) == [
        "compose.yaml: services.a.deploy.replicas: 2 containers: container-comms deploys one "
        "container per service on one engine; remove it, or set composeTarget to swarm",
        "compose.yaml: services.b.scale: 3 containers: container-comms deploys one container per "
        "service on one engine; remove it, or set composeTarget to swarm",
    ]


def test_a_link_across_no_shared_network_is_refused(tmp_path: Path) -> None:
    text = (
        "services:\n  a: {image: busybox, networks: [x], links: ['b:db']}\n"
        "  b: {image: busybox, networks: [y]}\nnetworks:\n  x: {}\n  y: {}\n"
    )
    assert _translation_problems(tmp_path, text) == [
        'compose.yaml: services.a.links[0]: "a" and "b" share no network, so the link name '
        "cannot resolve; put both on one network"
    ]


@pytest.mark.parametrize(
    ("policy", "advice"),
    [
        ("always", "on every `docker compose up`"),
        ("daily", "once a day"),
        ("weekly", "once a week"),
        ("every_12h", "every 12h"),
    ],
)
def test_pull_policies_that_pull_again_are_advisories(
    tmp_path: Path, policy: str, advice: str
) -> None:
    from components.topology.compose import compose_topology

    (tmp_path / "compose.yaml").write_text(
        f"services:\n  a: {{image: busybox, pull_policy: {policy}}}\n", encoding="utf-8"
    )
    normalised = normalise_compose_file(tmp_path, "compose.yaml", project_name="p")
    notes: list[Problem] = []
    topology = compose_topology(normalised.model, "compose.yaml", advisories=notes)
    assert topology["services"]["a"]["pull"] is True
    assert notes == [
        Problem(
            ("services", "a", "pull_policy"),
            f'"{policy}": the image is pulled when the plan first needs it, and again only when '
            f"its name changes or it is gone from the engine; compose pulls it again {advice}",
            file="compose.yaml",
        )
    ]


@pytest.mark.parametrize(
    ("policy", "pull"), [("missing", True), ("if_not_present", True), ("never", False)]
)
def test_pull_policies_that_pull_once_or_never_map_exactly(
    tmp_path: Path, policy: str, pull: bool
) -> None:
    from components.topology.compose import compose_topology

    (tmp_path / "compose.yaml").write_text(
        f"services:\n  a: {{image: busybox, pull_policy: {policy}}}\n", encoding="utf-8"
    )
    normalised = normalise_compose_file(tmp_path, "compose.yaml", project_name="p")
    notes: list[Problem] = []
    topology = compose_topology(normalised.model, "compose.yaml", advisories=notes)
    assert topology["services"]["a"]["pull"] is pull
    assert notes == []


def test_a_service_named_with_an_underscore_deploys_under_that_alias() -> None:
    containers = _by_name(_plan("engine"), CONTAINER)
    assert containers["keys-m_never-1"].inputs["networksAdvanced"] == [
        {"name": "keys_default", "aliases": ["m_never"]}
    ]


def test_an_ipv6_only_network_is_refused(tmp_path: Path) -> None:
    text = (
        "services:\n  a: {image: busybox, networks: [v6]}\nnetworks:\n  v6:\n"
        "    enable_ipv4: false\n    enable_ipv6: true\n"
        "    ipam: {config: [{subnet: 'fd00:9::/64'}]}\n"
    )
    assert _translation_problems(tmp_path, text) == [
        "compose.yaml: networks.v6.enable_ipv4: false asks for an IPv6-only network, which "
        "engines before v28 cannot make (engine 20.10 gives every network IPv4) and "
        "pulumi-docker 5.2.0 cannot ask for; remove it"
    ]
