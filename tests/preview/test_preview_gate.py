"""The gate over the real program and the real pack: dev and prod pass, broken variants fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.preview.helpers_preview import REAL_PACK, REPO, real_project, run_preview

TRAP = """\
config:
  container-comms:topology:
    networks:
      my_net2:
        subnet: 172.22.16.0/24
      other_net:
        subnet: 172.22.17.0/24
    dns_groups:
      bboxes:
        network: my_net2
        members:
          bbox1:
            image: busybox:1.36
            command: ["sleep", "2147483647"]
    containers:
      probe:
        image: busybox:1.36
        command: ["ping", "bbox1"]
        network: other_net
        ipv4_address: 172.22.17.8
        capabilities_add: ["SYS_ADMIN"]
"""

DNS_ON_BRIDGE = """\
config:
  container-comms:topology:
    dns_groups:
      bboxes:
        network: bridge
        members:
          bbox1:
            image: busybox:1.36
"""

PROBE = "(docker:index/container:Container: probe-container)"


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_real_stacks_pass_the_gate(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    outcome = run_preview(capsys, stack, "--project", str(REPO), "--pack", str(REAL_PACK))
    assert outcome.code == 0, outcome.out + outcome.err
    assert "Policy gate: passed." in outcome.out
    assert "[mandatory]" not in outcome.out
    assert f"container-comms-{stack}" in outcome.out  # the tree starts at the stack


def test_name_lookup_across_networks_fails_with_violation_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = real_project(tmp_path, {"trap": TRAP})
    outcome = run_preview(capsys, "trap", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 1, outcome.out + outcome.err
    lines = outcome.out.splitlines()
    assert (
        f"        - [mandatory]  docker-container-require-shared-network-for-dns  {PROBE}" in lines
    )
    assert f"        - [mandatory]  docker-container-enforce-allowed-capabilities  {PROBE}" in lines
    assert any('command names "bbox1"' in line for line in lines)
    assert "Policy gate: FAILED: 2 blocking violation(s)." in lines


def test_policy_config_changes_levels_and_settings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = real_project(tmp_path, {"trap": TRAP})
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps(
            {
                "docker-container-require-shared-network-for-dns": "advisory",
                "docker-container-enforce-allowed-capabilities": {
                    "allowedCapabilities": ["SYS_ADMIN"]
                },
            }
        ),
        encoding="utf-8",
    )
    outcome = run_preview(
        capsys,
        "trap",
        "--project",
        str(project),
        "--pack",
        str(REAL_PACK),
        "--policy-config",
        str(config),
    )
    assert outcome.code == 0, outcome.out + outcome.err
    lines = outcome.out.splitlines()
    assert (
        f"        - [advisory]  docker-container-require-shared-network-for-dns  {PROBE}" in lines
    )
    assert not any("docker-container-enforce-allowed-capabilities" in line for line in lines)


def test_dns_group_on_default_bridge_is_refused_before_any_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = real_project(tmp_path, {"bridged": DNS_ON_BRIDGE})
    outcome = run_preview(capsys, "bridged", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    stack_file = project / "stacks" / "Pulumi.bridged.yaml"
    assert outcome.err.splitlines() == [
        f'error (program): {stack_file}:5: topology.dns_groups.bboxes.network: "bridge" is a '
        "predefined network, where container names do not resolve (Docker's embedded DNS server "
        "answers only on user-defined networks); attach the group to a UserDefinedNetwork"
    ]
    assert "Traceback" not in outcome.err + outcome.out
    assert "Policy gate: NOT CHECKED (program); the stack does not pass." in outcome.out


def test_diagram_names_every_network_container_and_join_of_dev(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "dev.md"
    outcome = run_preview(
        capsys, "dev", "--project", str(REPO), "--pack", str(REAL_PACK), "--diagram", str(target)
    )
    assert outcome.code == 0, outcome.out + outcome.err
    text = target.read_text(encoding="utf-8")
    assert "```mermaid\nflowchart LR\n" in text
    assert '{{"network my_net2<br/>172.22.16.0/24"}}' in text
    nodes = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("c") and '["' in stripped:
            node, label = stripped.split("[", 1)
            nodes[label.strip('[]"').split("<br/>")[0]] = node
    assert set(nodes) == {"bbox1", "bbox2", "bbox3", "web1", "web1-shell"}
    assert f'{nodes["bbox1"]} ---|"aliases: box1"| n0' in text
    assert f'{nodes["bbox2"]} ---|"aliases: box2"| n0' in text
    assert f'{nodes["bbox3"]} ---|"ip 172.22.16.8"| n0' in text
    assert (
        f'{nodes["web1-shell"]} -. "loopback 127.0.0.1<br/>container:web1" .-> {nodes["web1"]}'
        in text
    )
    assert '["JoinedGroup web"]' in text
    assert '["DnsGroup bboxes"]' in text


def test_diagram_draws_every_swarm_service_with_its_overlays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "swarm.md"
    outcome = run_preview(
        capsys, "swarm", "--project", str(REPO), "--pack", str(REAL_PACK), "--diagram", str(target)
    )
    assert outcome.code == 0, outcome.out + outcome.err
    text = target.read_text(encoding="utf-8")
    networks = {"back": "n0", "front": "n1"}
    assert '  n0{{"internal network back<br/>10.40.1.0/24"}}' in text
    assert '  n1{{"network front<br/>10.40.0.0/24"}}' in text
    services = {}
    for line in text.splitlines():
        stripped = line.strip()
        if '("' in stripped:
            node, label = stripped.split("(", 1)
            services[label.strip('()"').split("<br/>")[0]] = (node, "(" + label)
    assert set(services) == {"web", "api", "db", "probe"}
    assert services["web"][1] == '("web<br/>swarm service<br/>replicas 2<br/>endpoint dnsrr")'
    # api's alias is on one of its two overlays, which the ids (unknown at preview) can't tell.
    assert services["api"][1] == (
        '("api<br/>swarm service<br/>replicas 3<br/>endpoint vip<br/>aliases: api.internal")'
    )
    edges = {line.strip() for line in text.splitlines() if "---" in line}
    web, api, db, probe = (services[s][0] for s in ("web", "api", "db", "probe"))
    assert f'{web} ---|"aliases: www"| {networks["front"]}' in edges
    assert f'{db} ---|"aliases: database"| {networks["back"]}' in edges
    for service in (api, probe):
        assert f"{service} --- {networks['front']}" in edges
        assert f"{service} --- {networks['back']}" in edges
    assert not any(edge.startswith((f"{web} ", f"{db} ")) and "bridge" in edge for edge in edges)
    assert '["SwarmApplication app"]' in text
