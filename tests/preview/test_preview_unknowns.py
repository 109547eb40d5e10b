"""The text report shows a value unknown at preview as "(known after deploy)", never the wire's
sentinel string; the JSON document keeps the sentinel (docs/preview.md)."""

from __future__ import annotations

import pulumi_docker as docker

from plan import UNKNOWN, record
from preview.analyzer import Diagnostic, PolicyRun
from preview.policy_config import PolicyMeta, PolicySettings
from preview.report import UNKNOWN_SHOWN, policy_report, unknowns_shown
from preview.verdict import decide


def test_unknowns_are_shown_quoted_or_bare_as_known_after_deploy() -> None:
    text = f"network \"{UNKNOWN}\" of container '{UNKNOWN}' at {UNKNOWN}:80"
    assert unknowns_shown(text) == (
        "network (known after deploy) of container (known after deploy) at (known after deploy):80"
    )
    assert UNKNOWN_SHOWN == "(known after deploy)"


def test_policy_report_never_prints_the_sentinel() -> None:
    def program() -> None:
        net = docker.Network("net")
        docker.Container("probe", name="probe", image="busybox:1.36", hostname=net.id)

    plan = record(program, project="shop", stack="dev")
    probe = next(r for r in plan.resources if r.name == "probe")
    assert probe.inputs["hostname"] == UNKNOWN
    message = f'Hostnames are plain.\ncontainer "probe": hostname "{UNKNOWN}" is not plain'
    run = PolicyRun(
        pack_name="p",
        pack_version="1",
        pack_path="/p",
        python="python",
        policies=[PolicyMeta("hostnames", "Hostnames are plain.", "mandatory", None)],
        config={"hostnames": PolicySettings("mandatory")},
        diagnostics=[
            Diagnostic("hostnames", "mandatory", probe.urn, message, "Hostnames.", "analyze")
        ],
    )
    lines = policy_report(run, plan, decide(run, None))
    assert lines[-2:] == [
        "          Hostnames are plain.",
        '          container "probe": hostname (known after deploy) is not plain',
    ]
    assert not any(UNKNOWN in line for line in lines)
