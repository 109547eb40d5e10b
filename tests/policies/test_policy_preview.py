"""At preview, props like the components' (names and addresses known, ids and computed outputs
unknown) let every rule reach its verdict: no "can't run policy" note, no "cannot decide"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from policies.rules import POLICIES
from tests.pack_client import PackClient, Resource
from tests.policies.policy_cases import (
    CONTAINER,
    NETWORK,
    UNKNOWN,
    compliant_stack,
    mutated,
    set_field,
)

COMPUTED = {
    CONTAINER: ["id", "hostname", "networkDatas", "exitCode", "containerLogs", "ipcMode"],
    NETWORK: ["id", "scope", "options", "ipamDriver"],
}


def _at_preview(resources: list[Resource]) -> tuple[list[Resource], list[Resource]]:
    """(inputs, outputs) as a preview sends them: image ids and computed outputs unknown."""
    inputs: list[Resource] = []
    outputs: list[Resource] = []
    for resource in resources:
        props: dict[str, Any] = dict(resource.props)
        if resource.type == CONTAINER:
            props["image"] = UNKNOWN  # the RemoteImage's id: known only once pulled
        inputs.append(replace(resource, props=props))
        state = dict(props)
        for key in COMPUTED.get(resource.type, []):
            state[key] = UNKNOWN
        outputs.append(replace(resource, props=state))
    return inputs, outputs


def test_every_rule_reaches_its_verdict_at_preview(pack: PackClient) -> None:
    inputs, outputs = _at_preview(compliant_stack())
    verdict = pack.analyze_all(inputs, outputs)
    assert verdict.cant_run == ()
    assert verdict.not_applicable == ()
    assert verdict.findings == ()
    assert len(POLICIES) == len(pack.default_levels())


def test_a_violation_is_still_found_at_preview(pack: PackClient) -> None:
    broken = mutated(
        compliant_stack(), "bbox3", set_field("networksAdvanced.0.ipv4Address", "10.9.9.9")
    )
    inputs, outputs = _at_preview(broken)
    verdict = pack.analyze_all(inputs, outputs)
    assert [(f.policy, f.level) for f in verdict.findings] == [
        ("docker-container-enforce-static-ip-in-subnet", "mandatory")
    ]
    assert verdict.not_applicable == ()


def test_a_plain_program_with_an_id_as_join_target_is_undecided_not_crashed(
    pack: PackClient,
) -> None:
    broken = mutated(compliant_stack(), "web-web1-shell", set_field("networkMode", UNKNOWN))
    verdict = pack.analyze_all(broken)
    assert verdict.cant_run == ()
    assert verdict.findings == ()
    assert {name for name, _ in verdict.not_applicable} == {
        "docker-container-disallow-host-network",
        "docker-network-disallow-duplicate-dns-name",
        "docker-container-require-running-join-target",
        "docker-container-require-kept-running-join-target",
        "docker-container-require-dependency-on-join-target",
        "docker-container-require-shared-network-for-dns",
    }


def test_a_join_target_given_by_id_is_matched_once_the_id_is_known(pack: PackClient) -> None:
    owner_id = "3f2a9c41b7d04e5f8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
    stack = mutated(compliant_stack(), "web-web1", set_field("id", owner_id))
    stack = mutated(stack, "web-web1-shell", set_field("networkMode", f"container:{owner_id[:12]}"))
    stack = mutated(stack, "web-web1", set_field("restart", "no"))
    verdict = pack.analyze_all(stack)
    found = [
        f.message
        for f in verdict.findings
        if f.policy == "docker-container-require-kept-running-join-target"
    ]
    assert found == [
        f'container "{sidecar}": joins the network namespace of "web1", which has restart "no"; '
        f'the engine starts "{sidecar}" while "web1" runs, but nothing brings "web1" back once it '
        "stops (after a host or engine restart it stays stopped), and the engine then refuses to "
        f'start "{sidecar}" ("cannot join network of a non running container"); set mustRun true '
        'and restart "unless-stopped" (or "always") on "web1".'
        for sidecar in ("web1-monitor", "web1-shell")
    ]
