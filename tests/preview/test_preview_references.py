"""A program that passes resources to other resources (a component given its network) is gated
like any other: the recording finishes in a preview, and the pack sees each reference as the
engine hands it to a pack, the resource's id (unknown in a preview) or a component's URN."""

from __future__ import annotations

from pathlib import Path

import pytest

from plan import UNKNOWN, Registration, without_secrets
from plan.model import RESOURCE_MARK, SECRET_SIG, references_as_ids
from preview.analyzer import _analyze_request, _stack_resource
from tests.preview.helpers_preview import REAL_PACK, run_preview

URN = "urn:pulumi:dev::shop::docker:index/network:Network::net"
HOLDER = "urn:pulumi:dev::shop::shop:index:Holder::holder"

HOLDS_A_NETWORK = """\
import pulumi
import pulumi_docker as docker

net = docker.Network("net", name="shop")
holder = pulumi.ComponentResource("shop:index:Holder", "holder", {"network": net})
docker.Container(
    "web",
    name="web",
    image="busybox:1.36",
    networks_advanced=[{"name": net.name}],
    privileged=PRIVILEGED,
    opts=pulumi.ResourceOptions(parent=holder),
)
"""


def _project(tmp_path: Path, privileged: bool) -> Path:
    project = tmp_path / "shop"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        "name: shop\nruntime: python\nstackConfigDir: stacks\n", encoding="utf-8"
    )
    source = HOLDS_A_NETWORK.replace("PRIVILEGED", str(privileged))
    (project / "__main__.py").write_text(source, encoding="utf-8")
    (project / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    return project


def test_a_component_holding_a_network_passes_the_gate_in_a_preview(tmp_path, capsys):
    project = _project(tmp_path, privileged=False)
    outcome = run_preview(capsys, "dev", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 0, outcome.err
    assert " +   └─ shop:index:Holder                    holder    create\n" in outcome.out
    assert outcome.out.endswith("Policy gate: passed.\n")


def test_a_privileged_container_beside_a_reference_is_still_refused(tmp_path, capsys):
    project = _project(tmp_path, privileged=True)
    outcome = run_preview(capsys, "dev", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 1, outcome.err
    assert (
        "        - [mandatory]  docker-container-disallow-privileged"
        "  (docker:index/container:Container: web)\n"
        "          A container does not run privileged.\n"
        '          container "web": privileged true gives the container every capability and all'
        " host devices; set privileged false and add only the capabilities it needs.\n"
    ) in outcome.out
    assert outcome.out.endswith("Policy gate: FAILED: 1 blocking violation(s).\n")


def _reference(urn: str, id_: str | None = None) -> dict[str, str]:
    ref = {SECRET_SIG: RESOURCE_MARK, "urn": urn}
    return ref if id_ is None else {**ref, "id": id_}


def test_a_pack_sees_an_id_for_a_resource_and_a_urn_for_a_component():
    inputs = {
        "network": _reference(URN, "net-id"),
        "planned": [_reference(URN, UNKNOWN)],
        "holder": {"of": _reference(HOLDER)},
        "name": "plain",
    }
    assert references_as_ids(inputs) == {
        "network": "net-id",
        "planned": [UNKNOWN],
        "holder": {"of": HOLDER},
        "name": "plain",
    }
    holder = Registration(
        urn=HOLDER, type="shop:index:Holder", name="holder", custom=False, parent="", inputs=inputs
    )
    for request in (_analyze_request(holder, {}), _stack_resource(holder, {})):
        assert request.properties["network"] == "net-id"
        assert request.properties["planned"][0] == UNKNOWN
        assert request.properties["holder"]["of"] == HOLDER


@pytest.mark.parametrize("id_", ["net-id", UNKNOWN, None])
def test_a_reference_is_no_secret_to_the_report(id_):
    assert without_secrets({"network": _reference(URN, id_)}) == {"network": _reference(URN, id_)}
    secret = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "s3cret"}
    assert without_secrets({"password": secret}) == {"password": "[secret]"}
