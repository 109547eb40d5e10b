"""Each stack's program, run whole under mocks with its real config file."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from plan import SECRET_SIG, UNKNOWN, load_stack_config, record_program, without_secrets
from tests.conftest import PROGRAM, PROJECT, PROJECT_DIR

CONTAINER = "docker:index/container:Container"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"
"""The marker Pulumi puts beside `SECRET_SIG` in a secret value on the wire."""


def containers(plan):
    return {r.inputs["name"]: r for r in plan.of_type(CONTAINER)}


def test_dev_stack_reproduces_the_source_note(recorder):
    plan = recorder.stack("dev")
    assert plan.exports == {
        "networks": {
            "my_net2": {
                "name": "my_net2",
                "subnet": "172.22.16.0/24",
                "gateway": "172.22.16.1",
                "internal": False,
            }
        },
        "dnsNames": {"bboxes": {"bbox1": ["bbox1", "box1"], "bbox2": ["bbox2", "box2"]}},
        "serviceNames": {},
        "swarmServices": {},
        "loopbackEndpoints": {"web": ["127.0.0.1:80"]},
        "staticAddresses": {"my_net2": {"bbox3": "172.22.16.8"}},
    }
    by_name = containers(plan)
    assert sorted(by_name) == ["bbox1", "bbox2", "bbox3", "web1", "web1-shell"]
    assert by_name["bbox1"].inputs["networksAdvanced"] == [{"name": "my_net2", "aliases": ["box1"]}]
    assert by_name["bbox3"].inputs["networksAdvanced"] == [
        {"name": "my_net2", "ipv4Address": "172.22.16.8"}
    ]
    assert "networksAdvanced" not in by_name["web1"].inputs  # the default bridge, as in the note
    assert by_name["web1-shell"].inputs["networkMode"] == "container:web1"
    assert by_name["web1"].urn in by_name["web1-shell"].dependencies
    assert {r.inputs["image"] for r in by_name.values()} == {"busybox:1.36", "httpd:2.4"}


def test_prod_stack_exports_what_other_stacks_consume(recorder):
    plan = recorder.stack("prod")
    assert plan.exports == {
        "networks": {
            "frontend": {
                "name": "frontend",
                "subnet": "10.30.0.0/24",
                "gateway": "10.30.0.1",
                "internal": False,
            },
            "backend": {
                "name": "backend",
                "subnet": "10.30.1.0/24",
                "gateway": "10.30.1.1",
                "internal": True,
            },
        },
        "dnsNames": {"data": {"api": ["api", "api.internal"], "db": ["db"]}},
        "serviceNames": {},
        "swarmServices": {},
        "loopbackEndpoints": {"edge": ["127.0.0.1:80", "127.0.0.1:8000"]},
        "staticAddresses": {
            "backend": {"api": "10.30.1.2", "db": "10.30.1.20"},
            "frontend": {"edge-web": "10.30.0.10"},
        },
    }
    by_name = containers(plan)
    assert by_name["edge-monitor"].inputs["capabilities"] == {"adds": ["NET_ADMIN", "NET_RAW"]}
    assert by_name["edge-app"].inputs["networkMode"] == "container:edge-web"
    assert by_name["edge-web"].inputs["networksAdvanced"] == [
        {"name": "frontend", "aliases": ["www"], "ipv4Address": "10.30.0.10"},
        {"name": "backend", "aliases": ["edge"]},
    ]
    backend = plan.named("backend-network")
    assert backend.inputs["internal"] is True


def test_app_stack_is_web_app_and_db_as_services(recorder):
    plan = recorder.stack("app")
    assert plan.exports == {
        "networks": {
            "front": {
                "name": "front",
                "subnet": "10.40.0.0/24",
                "gateway": "10.40.0.1",
                "internal": False,
            },
            "back": {
                "name": "back",
                "subnet": "10.40.1.0/24",
                "gateway": "10.40.1.1",
                "internal": True,
            },
        },
        "dnsNames": {},
        "serviceNames": {
            "front": {"web": ["web", "www"], "app": ["app", "api"]},
            "back": {"app": ["app"], "db": ["db"]},
        },
        "swarmServices": {},
        "loopbackEndpoints": {"db": ["127.0.0.1:5432"]},
        "staticAddresses": {"back": {"db": "10.40.1.20"}},
    }
    by_name = containers(plan)
    assert sorted(by_name) == ["app", "db", "db-backup", "web"]
    web, app, db, backup = (by_name[n] for n in ("web", "app", "db", "db-backup"))
    assert web.inputs["networksAdvanced"] == [{"name": "front", "aliases": ["www"]}]
    assert app.inputs["networksAdvanced"] == [
        {"name": "front", "aliases": ["api"]},
        {"name": "back"},
    ]
    assert db.inputs["networksAdvanced"] == [{"name": "back", "ipv4Address": "10.40.1.20"}]
    # app waits for db's health check; web for app to run.
    assert db.inputs["wait"] is True and db.inputs["healthcheck"]["tests"][1] == "pg_isready"
    assert db.inputs["waitTimeout"] == 16 * (2.0 + 2.0)  # 15 retries of 2 s + 2 s, and the first
    assert db.urn in app.dependencies and app.urn in web.dependencies
    assert "wait" not in app.inputs and "wait" not in web.inputs
    # One named volume: the database writes it, its backup sidecar reads it.
    volume = plan.named("db-data-volume")
    assert volume.inputs == {"name": "db-data"}
    assert db.inputs["mounts"] == [
        {"target": "/var/lib/postgresql/data", "type": "volume", "source": "db-data"}
    ]
    assert backup.inputs["mounts"] == [
        {"target": "/backup/data", "type": "volume", "source": "db-data", "readOnly": True}
    ]
    assert backup.inputs["networkMode"] == "container:db"
    assert {volume.urn, db.urn} <= set(backup.dependencies)
    # The password file reaches app and db as a secret, never as text.
    secret = (PROJECT_DIR / "stacks" / "secrets" / "app-db-password.txt").read_text("utf-8")
    for container in (app, db):
        (upload,) = container.inputs["uploads"]
        assert upload["file"] == "/run/secrets/db-password"
        assert upload["permissions"] == "0444"
        assert upload["content"] == {SECRET_SIG: SECRET_MARK, "value": secret}
    assert secret.strip() not in json.dumps([without_secrets(r.inputs) for r in plan.resources])
    assert "uploads" not in web.inputs


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_every_child_is_parented_by_its_component(recorder, stack):
    plan = recorder.stack(stack)
    by_urn = plan.by_urn()
    for registration in plan.resources[1:]:
        parent = by_urn[registration.parent]
        if registration.custom:
            assert not parent.custom, registration.urn
            assert registration.name.startswith(f"{parent.name}-"), registration.urn
        else:
            assert registration.type.startswith("container-comms:index:"), registration.urn


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_preview_knows_every_name_and_address_but_no_id(recorder, stack):
    plan = recorder.stack(stack, preview=True)
    assert all(r.id == "" for r in plan.resources)
    for registration in plan.of_type(CONTAINER):
        assert UNKNOWN not in repr(registration.inputs), registration.urn
    assert plan.named("images").custom is False


def test_deploy_run_gives_ids(recorder):
    plan = recorder.stack("dev", preview=False)
    assert plan.named("my_net2-network").id == "my_net2-network-id"


def test_program_reads_a_topology_file_named_in_config(tmp_path):
    dev = json.loads(load_stack_config(PROJECT_DIR, "dev").values[f"{PROJECT}:topology"])
    # The file lies in the program's project folder, as topologyFile requires.
    shutil.copy(PROGRAM, tmp_path / "__main__.py")
    (tmp_path / "topologies").mkdir()
    (tmp_path / "topologies" / "dev.yaml").write_text(yaml.safe_dump(dev), encoding="utf-8")
    config = {f"{PROJECT}:topologyFile": "topologies/dev.yaml"}
    from_file = record_program(
        tmp_path / "__main__.py", project=PROJECT, stack="dev", config=config
    )
    assert from_file.exports["staticAddresses"] == {"my_net2": {"bbox3": "172.22.16.8"}}
    assert from_file.exports["dnsNames"] == {
        "bboxes": {"bbox1": ["bbox1", "box1"], "bbox2": ["bbox2", "box2"]}
    }


@pytest.mark.parametrize("stack", ["app", "dev", "prod", "swarm", "wordpress"])
def test_components_keep_what_they_made_as_outputs_and_register_no_inputs(recorder, stack):
    plan = recorder.stack(stack)
    components = [r for r in plan.resources if not r.custom and r.parent]
    assert components
    assert {r.name: r.inputs for r in components} == {r.name: {} for r in components}
    assert all(r.outputs for r in components)
