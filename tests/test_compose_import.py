"""Every corpus compose file, deployed by the program, matches compose's own normalised model:
the same containers, networks (engine names), aliases, static addresses, volumes, mounts and
environment. The model is what Docker Compose v2 printed for the file, not a copy kept here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components import Problem
from components.compose_file import normalise_compose_file
from components.topology.compose import compose_topology
from plan import ProgramError, record_program
from tests.compose.facts import ENVIRONMENT, expected
from tests.conftest import PROGRAM, PROJECT, PROJECT_DIR
from tests.preview.helpers_preview import real_project

CORPUS = sorted(
    p.parent.name for p in (PROJECT_DIR / "tests/compose/corpus").glob("*/compose.yaml")
)
CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def compose_file(app: str) -> str:
    return f"tests/compose/corpus/{app}/compose.yaml"


@pytest.fixture(autouse=True)
def corpus_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables the corpus's environment secrets and configs read."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def project_of(app: str) -> str | None:
    """The project name a corpus file is deployed under (its folder's), or None for a file
    that names its own project (`name:`), which then stands."""
    project: str | None = expected(app)["run"]["project"]
    return project


def deployed(app: str) -> Any:
    config = {f"{PROJECT}:composeFile": compose_file(app)}
    if project_of(app) is not None:
        config[f"{PROJECT}:composeProject"] = str(project_of(app))
    return record_program(PROGRAM, project=PROJECT, stack="compose", config=config, preview=True)


def test_corpus_has_ten_or_more_applications():
    assert len(CORPUS) >= 10


def test_named_corpus_file_deploys_under_its_own_name_not_its_folders() -> None:
    plan = deployed("immich-photos")
    assert sorted(r.inputs["name"] for r in plan.of_type(CONTAINER)) == [
        "immich-database-1",
        "immich-immich-machine-learning-1",
        "immich-immich-server-1",
        "immich-redis-1",
    ]
    assert sorted(r.inputs["name"] for r in plan.of_type(VOLUME)) == [
        "immich_model-cache",
        "immich_pgdata",
    ]
    assert [r.inputs["name"] for r in plan.of_type(NETWORK)] == ["immich_default"]


@pytest.mark.parametrize("app", CORPUS)
def test_compose_file_deploys_as_compose_models_it(app: str) -> None:
    model = normalise_compose_file(
        PROJECT_DIR, compose_file(app), project_name=project_of(app)
    ).model
    plan = deployed(app)
    services: dict[str, Any] = model["services"]
    networks: dict[str, Any] = model.get("networks") or {}
    volumes: dict[str, Any] = model.get("volumes") or {}
    containers = {r.inputs["name"]: r.inputs for r in plan.of_type(CONTAINER)}

    def name_of(key: str) -> str:
        return services[key].get("container_name") or f"{model['name']}-{key}-1"

    assert sorted(containers) == sorted(name_of(k) for k in services)
    assert sorted(r.inputs["name"] for r in plan.of_type(NETWORK)) == sorted(
        n["name"] for n in networks.values() if not n.get("external")
    )
    assert sorted(r.inputs["name"] for r in plan.of_type(VOLUME)) == sorted(
        v["name"] for v in volumes.values() if not v.get("external")
    )
    for key, service in services.items():
        inputs = containers[name_of(key)]
        mode = service.get("network_mode") or ""
        if mode.startswith("service:"):
            assert inputs["networkMode"] == f"container:{name_of(mode.removeprefix('service:'))}"
            assert "networksAdvanced" not in inputs
        elif mode:
            assert inputs["networkMode"] == mode
        else:
            wanted = {
                networks[net]["name"]: (
                    sorted([key, *((a or {}).get("aliases") or [])]),
                    (a or {}).get("ipv4_address"),
                    (a or {}).get("ipv6_address"),
                )
                for net, a in (service.get("networks") or {}).items()
            }
            got = {
                n["name"]: (
                    sorted(n.get("aliases", [])),
                    n.get("ipv4Address"),
                    n.get("ipv6Address"),
                )
                for n in inputs.get("networksAdvanced", [])
            }
            assert got == wanted, key
        env = sorted(
            f"{k}={v}" for k, v in (service.get("environment") or {}).items() if v is not None
        )
        assert sorted(e for e in inputs.get("envs", []) if isinstance(e, str)) == env, key
        mounts = [
            (
                m.get("type", "volume"),
                volumes[m["source"]]["name"]
                if m.get("type", "volume") == "volume" and m.get("source")
                else m.get("source"),
                m["target"],
                bool(m.get("read_only")),
            )
            for m in service.get("volumes") or []
        ]
        # Compose mounts a secret's or config's file read-only at its target, and copies
        # text (a config's content, an environment variable) in, 0444 and root's unless given.
        uploads = []
        for kind, folder in (("secrets", "/run/secrets/"), ("configs", "/")):
            for use in service.get(kind) or []:
                top = model[kind][use["source"]]
                target = use.get("target") or use["source"]
                target = target if target.startswith("/") else folder + target
                if top.get("file"):
                    mounts.append(("bind", top["file"], target, True))
                else:
                    uploads.append(
                        (target, use.get("mode", "0444"), use.get("uid"), use.get("gid"))
                    )
        got_uploads = [
            (u["file"], u["permissions"], u.get("owner"), u.get("group"))
            for u in inputs.get("uploads", [])
        ]
        assert sorted(got_uploads, key=str) == sorted(uploads, key=str), key
        got_mounts = [
            (m["type"], m.get("source"), m["target"], bool(m.get("readOnly")))
            for m in inputs.get("mounts", [])
        ] + [  # binds whose host folder is created when missing go the legacy `volumes` way
            ("bind", v["hostPath"], v["containerPath"], bool(v.get("readOnly")))
            for v in inputs.get("volumes", [])
        ]
        assert sorted(got_mounts, key=str) == sorted(mounts, key=str), key
        # `tmpfs:` entries go to the engine as compose sends them: path -> mount options.
        tmpfs = dict(str(t).partition(":")[::2] for t in service.get("tmpfs") or [])
        assert inputs.get("tmpfs", {}) == tmpfs, key
        assert inputs["restart"] == (service.get("restart") or "no"), key


def refusal(file: str) -> str:
    config = {f"{PROJECT}:composeFile": file, f"{PROJECT}:composeProject": "bad"}
    with pytest.raises(ProgramError) as caught:
        record_program(PROGRAM, project=PROJECT, stack="compose", config=config, preview=True)
    return str(caught.value)


def test_missing_compose_file_is_named_by_its_config_key() -> None:
    assert refusal("tests/compose/corpus/nope/compose.yaml") == (
        'composeFile: "tests/compose/corpus/nope/compose.yaml" does not exist in the project '
        f"directory {PROJECT_DIR}"
    )


def test_engine_refusal_is_placed_at_the_compose_key() -> None:
    assert refusal("tests/compose/bad/outside-subnet/compose.yaml") == (
        "tests/compose/bad/outside-subnet/compose.yaml: services.web.networks.front.ipv4_address: "
        '"10.9.9.9" is outside the subnet 172.28.5.0/24'
    )


def test_compose_key_outside_the_model_is_refused_by_name() -> None:
    assert refusal("tests/compose/bad/unsupported/compose.yaml") == (
        "tests/compose/bad/unsupported/compose.yaml: services.web.cpu_rt_runtime: compose sets "
        "the container's real-time CPU scheduling; pulumi-docker 5.2.0 has no input for it, so "
        "the container would run without it; remove it, or deploy this file with docker compose"
    )


def test_compose_file_with_a_topology_is_refused() -> None:
    config = {
        f"{PROJECT}:composeFile": compose_file("wordpress-mysql"),
        f"{PROJECT}:topology": "{}",
    }
    with pytest.raises(ProgramError) as caught:
        record_program(PROGRAM, project=PROJECT, stack="compose", config=config, preview=True)
    assert str(caught.value) == (
        "composeFile: is set together with topology; give the topology in one place"
    )


# --- the project name, as Compose makes it ---------------------------------------------------

SHOP = """\
name: shop
services:
  app:
    image: busybox:1.36
    volumes: [pgdata:/var/lib/postgresql/data]
volumes:
  pgdata: {}
"""


def _shop(tmp_path: Path, text: str = SHOP, dotenv: str | None = None) -> Path:
    """A copy of the project with `myshop/compose.yaml` (and its `.env`) in it."""
    project = real_project(tmp_path, {})
    (project / "myshop").mkdir()
    (project / "myshop" / "compose.yaml").write_text(text, encoding="utf-8")
    if dotenv is not None:
        (project / "myshop" / ".env").write_text(dotenv, encoding="utf-8")
    return project


def _names(project: Path, **config: str) -> tuple[list[str], list[str], list[str]]:
    values = {f"{PROJECT}:composeFile": "myshop/compose.yaml"}
    values.update({f"{PROJECT}:{key}": value for key, value in config.items()})
    plan = record_program(
        project / "__main__.py", project=PROJECT, stack="compose", config=values, preview=True
    )
    return (
        sorted(r.inputs["name"] for r in plan.of_type(CONTAINER)),
        sorted(r.inputs["name"] for r in plan.of_type(VOLUME)),
        sorted(r.inputs["name"] for r in plan.of_type(NETWORK)),
    )


def test_top_level_name_names_containers_volumes_and_networks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    assert _names(_shop(tmp_path)) == (["shop-app-1"], ["shop_pgdata"], ["shop_default"])


def test_folder_name_is_the_project_when_nothing_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    project = _shop(tmp_path, SHOP.removeprefix("name: shop\n"))
    assert _names(project) == (["myshop-app-1"], ["myshop_pgdata"], ["myshop_default"])


def test_dot_env_project_name_comes_before_the_top_level_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    project = _shop(tmp_path, dotenv="COMPOSE_PROJECT_NAME=fromdotenv\n")
    assert _names(project) == (
        ["fromdotenv-app-1"],
        ["fromdotenv_pgdata"],
        ["fromdotenv_default"],
    )


def test_environment_project_name_comes_before_the_dot_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "fromenv")
    project = _shop(tmp_path, dotenv="COMPOSE_PROJECT_NAME=fromdotenv\n")
    assert _names(project) == (["fromenv-app-1"], ["fromenv_pgdata"], ["fromenv_default"])


def test_compose_project_key_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "fromenv")
    project = _shop(tmp_path, dotenv="COMPOSE_PROJECT_NAME=fromdotenv\n")
    assert _names(project, composeProject="given") == (
        ["given-app-1"],
        ["given_pgdata"],
        ["given_default"],
    )


# --- stack keys ------------------------------------------------------------------------------


def _program_error(config: dict[str, str]) -> str:
    values = {f"{PROJECT}:{key}": value for key, value in config.items()}
    with pytest.raises(ProgramError) as caught:
        record_program(PROGRAM, project=PROJECT, stack="compose", config=values, preview=True)
    return str(caught.value)


def test_mistyped_stack_key_is_refused_with_the_nearest_key() -> None:
    assert _program_error(
        {"composeFile": compose_file("wordpress-mysql"), "composeProfile": '["debug"]'}
    ) == (
        'composeProfile: unknown stack key "container-comms:composeProfile"; did you mean '
        "composeProfiles?"
    )


def test_stack_key_in_the_wrong_case_is_refused() -> None:
    assert _program_error({"composefile": compose_file("wordpress-mysql")}) == (
        'composefile: unknown stack key "container-comms:composefile"; did you mean composeFile?'
    )


def test_unknown_stack_key_beside_a_topology_is_refused_with_the_keys() -> None:
    topology = '{"services": {"web": {"image": "nginx:1.27"}}}'
    assert _program_error({"topology": topology, "replicas": "3"}) == (
        'replicas: unknown stack key "container-comms:replicas"; the stack keys are '
        "composeEnvFile, composeFile, composeProfiles, composeProject, composeTarget, topology, "
        "topologyFile"
    )


def test_secret_config_keys_and_other_namespaces_are_known() -> None:
    topology = (
        '{"secrets": {"pw": {"config": "dbPassword"}}, "services": {"web": {"image": '
        '"nginx:1.27", "secrets": {"pw": {"file": "/run/secrets/pw"}}}}}'
    )
    config = {
        f"{PROJECT}:topology": topology,
        f"{PROJECT}:dbPassword": "s3cret",
        "docker:host": "unix:///var/run/docker.sock",
    }
    plan = record_program(PROGRAM, project=PROJECT, stack="compose", config=config, preview=True)
    assert [r.inputs["name"] for r in plan.of_type(CONTAINER)] == ["web"]


# --- Compose's warnings ----------------------------------------------------------------------


def test_compose_warnings_are_the_program_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    with_tag = SHOP.replace("    volumes: [", '    environment: ["TAG=${TAG}"]\n    volumes: [')
    project = _shop(tmp_path, 'version: "3.8"\n' + with_tag)
    plan = record_program(
        project / "__main__.py",
        project=PROJECT,
        stack="compose",
        config={f"{PROJECT}:composeFile": "myshop/compose.yaml"},
        preview=True,
    )
    assert plan.warnings == (
        'myshop/compose.yaml: The "TAG" variable is not set. Defaulting to a blank string',
        "myshop/compose.yaml: the attribute `version` is obsolete, it will be ignored, please "
        "remove it to avoid potential confusion",
    )


def test_a_memory_limit_the_engine_refuses_is_refused_from_compose() -> None:
    """`mem_limit: 1k` is 1 MiB on the wire (rounded up), below the engine's 6 MB floor."""
    lines = refusal("tests/compose/bad/tiny-memory/compose.yaml").splitlines()
    assert len(lines) == 1, lines
    where, _, reason = lines[0].partition(": services.web.")
    assert where == "tests/compose/bad/tiny-memory/compose.yaml"
    assert reason.split(": ", 1)[1] == "1 MiB is below the engine's least limit, 6 MiB"


# -- secrets and configs: what docker compose up does on one engine ---------------------------


def _uploads(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Uploads with a secret's text shown as `[secret]`."""
    return [
        {k: "[secret]" if isinstance(v, dict) and SECRET_SIG in v else v for k, v in u.items()}
        for u in inputs.get("uploads", [])
    ]


def _secret_values(inputs: dict[str, Any]) -> list[str]:
    return [u["content"]["value"] for u in inputs.get("uploads", []) if SECRET_SIG in u["content"]]


def test_file_secrets_are_mounted_and_environment_secrets_copied_with_uid_gid_and_mode() -> None:
    plan = deployed("grafana-postgres-secrets")
    by_name = {r.inputs["name"]: r.inputs for r in plan.of_type(CONTAINER)}
    grafana = by_name["grafana-postgres-secrets-grafana-1"]
    db = by_name["grafana-postgres-secrets-db-1"]
    folder = PROJECT_DIR / "tests/compose/corpus/grafana-postgres-secrets"
    # The file secret is the host file, mounted read-only: its mode and owner are the file's.
    assert grafana["mounts"] == [
        {
            "target": "/run/secrets/grafana_admin_password",
            "type": "bind",
            "source": str(folder / "grafana_admin_password.txt"),
            "readOnly": True,
        }
    ]
    # Copied in: 0444 and root's by default, so a non-root user reads it ...
    assert _uploads(grafana) == [
        {"file": "/run/secrets/db_password", "content": "[secret]", "permissions": "0444"}
    ]
    # ... and the long syntax's uid, gid and mode, at a relative target under /run/secrets.
    assert _uploads(db) == [
        {
            "file": "/run/secrets/postgres_password",
            "content": "[secret]",
            "permissions": "0400",
            "owner": "70",
            "group": "70",
        }
    ]
    assert _secret_values(grafana) == _secret_values(db) == [ENVIRONMENT["GRAFANA_DB_PASSWORD"]]
    assert db["mounts"] == [
        {
            "target": "/var/lib/postgresql/data",
            "type": "volume",
            "source": "grafana-postgres-secrets_pgdata",
        }
    ]


def test_configs_are_mounted_from_files_and_copied_from_content_and_environment() -> None:
    plan = deployed("prometheus-alertmanager-configs")
    by_name = {r.inputs["name"]: r.inputs for r in plan.of_type(CONTAINER)}
    prometheus = by_name["prometheus-alertmanager-configs-prometheus-1"]
    alertmanager = by_name["prometheus-alertmanager-configs-alertmanager-1"]
    folder = PROJECT_DIR / "tests/compose/corpus/prometheus-alertmanager-configs"
    assert prometheus["mounts"] == [
        {
            "target": "/prometheus",
            "type": "volume",
            "source": "prometheus-alertmanager-configs_prometheus_data",
        },
        {
            "target": "/etc/prometheus/prometheus.yml",
            "type": "bind",
            "source": str(folder / "prometheus.yml"),
            "readOnly": True,
        },
    ]
    assert prometheus["uploads"] == [
        {
            "file": "/etc/prometheus/rules/alerts.yml",
            "content": "groups:\n  - name: targets\n    rules:\n      - alert: TargetDown\n"
            "        expr: up == 0\n        for: 1m\n",
            "permissions": "0444",
        }
    ]
    assert alertmanager["uploads"] == [
        {
            "file": "/etc/alertmanager/alertmanager.yml",
            "content": "route:\n  receiver: default\nreceivers:\n  - name: default\n",
            "permissions": "0440",
            "owner": "65534",
            "group": "65534",
        },
        {
            "file": "/etc/alertmanager/web.yml",
            "content": ENVIRONMENT["ALERTMANAGER_WEB_CONFIG"],
            "permissions": "0444",
        },
    ]


def test_uid_gid_and_mode_of_a_mounted_file_are_ignored_with_composes_warning() -> None:
    folder = "tests/compose/corpus/prometheus-alertmanager-configs"
    model = normalise_compose_file(PROJECT_DIR, f"{folder}/compose.yaml", project_name="p").model
    warnings: list[Problem] = []
    topology = compose_topology(model, "compose.yaml", "engine", warnings)
    assert warnings == [
        Problem(
            ("services", "prometheus", "configs", 0),
            "config `uid`, `gid` and `mode` are not supported, they will be ignored (docker "
            "compose mounts the file read-only from the host: its mode and owner are the host "
            "file's, as they will be here)",
            file="compose.yaml",
        )
    ]
    assert topology["services"]["prometheus"]["configs"]["prometheus_config"] == {
        "target": "/etc/prometheus/prometheus.yml"
    }
    # The program says so too, as `docker compose up` does: in `pulumi up` and in the report.
    assert deployed("prometheus-alertmanager-configs").warnings == (
        f"{folder}/compose.yaml: services.prometheus.configs[0]: {warnings[0].reason}",
    )


def test_a_copied_file_with_uid_or_gid_for_a_service_with_a_user_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_TEST_TOKEN", "t")
    file = "tests/compose/bad/copied-file-owner-with-user/compose.yaml"
    assert refusal(file) == (
        f"{file}: services.app.secrets[0]: docker compose gives a copied file with uid or gid "
        "to the service's user '1000:1000' as the engine's host resolves that name, not to the "
        'uid and gid given (or fails: "getent unable to find entry"); remove uid and gid (mode '
        "decides who reads it), or user"
    )


def test_an_environment_secret_without_its_variable_is_refused_as_compose_refuses_it() -> None:
    file = "tests/compose/bad/environment-secret-unset/compose.yaml"
    assert refusal(file) == (
        f'{file}: secrets.token.environment: "CC_TEST_UNSET_TOKEN" is not set in the environment '
        "of this run (docker compose up refuses it too: environment variable "
        '"CC_TEST_UNSET_TOKEN" required by secret "bad_token" is not set); set it'
    )


def test_on_a_swarm_a_secret_keeps_its_uid_gid_and_mode_whatever_the_user() -> None:
    """`docker stack deploy` writes a secret's file with the long syntax's owner and mode."""
    model = {
        "name": "p",
        "services": {
            "db": {
                "image": "postgres",
                "user": "70:70",
                "secrets": [{"source": "pw", "target": "pw", "uid": "70", "mode": "0400"}],
            }
        },
        "secrets": {"pw": {"name": "p_pw", "file": "/srv/pw.txt"}},
    }
    warnings: list[Problem] = []
    topology = compose_topology(model, "compose.yaml", "swarm", warnings)
    assert topology["secrets"] == {"pw": {"file": "/srv/pw.txt"}}
    assert topology["services"]["db"]["secrets"] == {
        "pw": {"file": "/run/secrets/pw", "mode": "0400", "uid": "70"}
    }
    assert warnings == []
