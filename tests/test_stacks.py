"""Both stacks' programs, run whole under mocks with their real config files."""

from __future__ import annotations

import json

import pytest
import yaml

from plan import UNKNOWN, load_stack_config, record_program
from tests.conftest import PROGRAM, PROJECT, PROJECT_DIR

CONTAINER = "docker:index/container:Container"


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


@pytest.mark.parametrize("stack", ["dev", "prod"])
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


@pytest.mark.parametrize("stack", ["dev", "prod"])
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
    (tmp_path / "dev-topology.yaml").write_text(yaml.safe_dump(dev), encoding="utf-8")
    config = {f"{PROJECT}:topologyFile": str(tmp_path / "dev-topology.yaml")}
    from_file = record_program(PROGRAM, project=PROJECT, stack="dev", config=config)
    assert from_file.exports["staticAddresses"] == {"my_net2": {"bbox3": "172.22.16.8"}}
    assert from_file.exports["dnsNames"] == {
        "bboxes": {"bbox1": ["bbox1", "box1"], "bbox2": ["bbox2", "box2"]}
    }
