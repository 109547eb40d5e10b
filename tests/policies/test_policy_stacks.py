"""The dev, prod and app stacks, recorded under mocks, checked by the pack as the gate checks them.

None gives a mandatory violation; variants broken in one field of one recorded registration
give exactly the expected new findings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plan import Registration, load_stack_config, record_program
from tests.pack_client import Finding, PackClient
from tests.policies.hygiene_cases import HARDENING
from tests.policies.policy_cases import CONTAINER, DNS_GROUP

PROJECT_DIR = Path(__file__).resolve().parents[2]

Recorded = list[Registration]


def _record(stack: str) -> Recorded:
    config = load_stack_config(PROJECT_DIR, stack)
    plan = record_program(
        PROJECT_DIR / "__main__.py",
        project=config.project,
        stack=stack,
        config=config.values,
        preview=True,
    )
    return plan.resources


@pytest.fixture(scope="module")
def dev() -> Recorded:
    return _record("dev")


@pytest.fixture(scope="module")
def prod() -> Recorded:
    return _record("prod")


@pytest.fixture(scope="module")
def app() -> Recorded:
    return _record("app")


def _findings(pack: PackClient, recorded: Recorded) -> list[Finding]:
    verdict = pack.check(recorded)
    assert verdict.cant_run == ()
    return list(verdict.findings)


def _matches(resource: Registration, kind: str, name: str) -> bool:
    if resource.type != kind:
        return False
    return resource.inputs.get("name") == name if kind == CONTAINER else resource.name == name


def _broken(
    recorded: Recorded, kind: str, name: str, change: Callable[[dict[str, Any]], None]
) -> tuple[Recorded, str]:
    """`recorded` with one field of one resource changed (inputs and outputs alike)."""
    changed: Recorded = []
    urns: set[str] = set()
    for resource in recorded:
        if _matches(resource, kind, name):
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            outputs = copy.deepcopy(resource.outputs)
            if outputs:
                change(outputs)
            resource = replace(resource, inputs=inputs, outputs=outputs)  # noqa: PLW2901
            urns.add(resource.urn)
        changed.append(resource)
    assert len(urns) == 1, f"no single {kind} named {name}"
    return changed, urns.pop()


def _urn(recorded: Recorded, name: str) -> str:
    return next(r.urn for r in recorded if _matches(r, CONTAINER, name))


def _new(pack: PackClient, recorded: Recorded, broken: Recorded) -> list[tuple[str, str, str, str]]:
    before = set(_findings(pack, recorded))
    found = [
        (f.policy, f.level, f.message, f.urn) for f in _findings(pack, broken) if f not in before
    ]
    return sorted(found)  # registration order under mocks is not fixed


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_stack_has_no_mandatory_violation_and_every_rule_decides(
    pack: PackClient, stack: str, request: pytest.FixtureRequest
) -> None:
    recorded: Recorded = request.getfixturevalue(stack)
    verdict = pack.check(recorded)
    assert [f for f in verdict.findings if f.level == "mandatory"] == []
    assert verdict.cant_run == ()
    assert verdict.not_applicable == ()
    assert sum(r.type == CONTAINER for r in recorded) >= 4


def test_app_stack_has_only_the_hardening_advice(pack: PackClient, app: Recorded) -> None:
    """What the stack leaves out of the hygiene rules' hardening, said once for the stack each."""
    findings = _findings(pack, app)
    assert [(f.policy, f.level, f.urn) for f in findings] == [
        (policy, "advisory", "") for policy in HARDENING
    ]


def test_prod_ingress_port_and_the_hardening_are_the_only_advisories(
    pack: PackClient, prod: Recorded
) -> None:
    findings = _findings(pack, prod)
    assert [(f.policy, f.level) for f in findings] == [
        ("docker-container-enforce-port-bind-address", "advisory"),
        *((policy, "advisory") for policy in HARDENING),
    ]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        target: Any = props
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(parts[-1])] = value
        else:
            target[parts[-1]] = value

    return change


def test_dev_static_address_outside_subnet(pack: PackClient, dev: Recorded) -> None:
    broken, urn = _broken(
        dev, CONTAINER, "bbox3", _set("networksAdvanced.0.ipv4Address", "10.9.9.9")
    )
    assert _new(pack, dev, broken) == [
        (
            "docker-container-enforce-static-ip-in-subnet",
            "mandatory",
            'container "bbox3": static address "10.9.9.9" on network "my_net2" is outside its '
            'subnet 172.22.16.0/24; the engine refuses it with "Invalid address 10.9.9.9: It does '
            "not belong to any of this network's subnets\"; pick an address inside "
            "172.22.16.0/24.",
            urn,
        )
    ]


def test_dev_sidecar_joining_a_missing_container(pack: PackClient, dev: Recorded) -> None:
    broken, urn = _broken(dev, CONTAINER, "web1-shell", _set("networkMode", "container:ghost"))
    assert _new(pack, dev, broken) == [
        (
            "docker-container-require-running-join-target",
            "mandatory",
            'container "web1-shell": network mode "container:ghost" names no container of this '
            "stack; the engine creates the container and then fails to start it; name a "
            'container of the stack, or list "ghost" in this policy\'s externalContainers config '
            "if it runs outside the stack.",
            urn,
        )
    ]


def test_dev_dns_group_on_the_default_bridge(pack: PackClient, dev: Recorded) -> None:
    broken, _ = _broken(dev, DNS_GROUP, "bboxes", _set("network", "bridge"))
    assert _new(pack, dev, broken) == [
        (
            "docker-dns-group-require-user-defined-network",
            "mandatory",
            'DNS group "bboxes": network "bridge" is predefined, and the engine\'s embedded DNS '
            "server does not answer there, so member names do not resolve; put the group on a "
            "user-defined network.",
            "",
        )
    ]


def test_dev_two_members_with_one_alias(pack: PackClient, dev: Recorded) -> None:
    # The embedded DNS server answers the shared alias with both: a round-robin, not an error.
    broken, _ = _broken(dev, CONTAINER, "bbox2", _set("networksAdvanced.0.aliases", ["box1"]))
    assert _new(pack, dev, broken) == []


def test_prod_owner_leaving_the_backend_breaks_the_sidecars_lookup(
    pack: PackClient, prod: Recorded
) -> None:
    def leave_backend(props: dict[str, Any]) -> None:
        props["networksAdvanced"] = [
            a for a in props["networksAdvanced"] if a.get("name") != "backend"
        ]

    broken, _ = _broken(prod, CONTAINER, "edge-web", leave_backend)
    assert _new(pack, prod, broken) == [
        (
            "docker-container-require-shared-network-for-dns",
            "mandatory",
            'container "edge-app": env API_URL names "api" (container "api"), but the two share no '
            "user-defined network, so the name does not resolve (the embedded DNS server answers "
            "only on user-defined networks); attach both to one user-defined network.",
            _urn(prod, "edge-app"),
        )
    ]


def test_prod_monitor_label_grants_nothing(pack: PackClient, prod: Recorded) -> None:
    """The monitor's capabilities rest on its joining the owner's namespace, not on its label:
    without the label it passes, and the label on the owner adds nothing."""

    def unlabel(props: dict[str, Any]) -> None:
        props["labels"] = [
            label for label in props["labels"] if label["label"] != "container-comms.preset"
        ]

    def forge(props: dict[str, Any]) -> None:
        props["labels"] = [
            *props["labels"],
            {"label": "container-comms.preset", "value": "monitor"},
        ]
        props["capabilities"] = {"adds": ["NET_ADMIN"]}

    unlabelled, _ = _broken(prod, CONTAINER, "edge-monitor", unlabel)
    assert _new(pack, prod, unlabelled) == []
    forged, _ = _broken(prod, CONTAINER, "edge-web", forge)
    assert _new(pack, prod, forged) == [
        (
            "docker-container-enforce-allowed-capabilities",
            "mandatory",
            'container "edge-web": capabilities.adds has "NET_ADMIN", which Docker does not '
            "give by default and which is not allowed here (allowed beyond the default set: "
            "none); drop it, or list it in this policy's allowedCapabilities config.",
            "",
        )
    ]


def test_prod_owner_not_restarted(pack: PackClient, prod: Recorded) -> None:
    broken, _ = _broken(prod, CONTAINER, "edge-web", _set("restart", "no"))
    assert _new(pack, prod, broken) == [
        (
            "docker-container-require-kept-running-join-target",
            "advisory",
            f'container "{sidecar}": joins the network namespace of "edge-web", which has '
            f'restart "no"; the engine starts "{sidecar}" while "edge-web" runs, but nothing '
            'brings "edge-web" back once it stops (after a host or engine restart it stays '
            f'stopped), and the engine then refuses to start "{sidecar}" ("cannot join network of '
            'a non running container"); set mustRun true and restart "unless-stopped" (or '
            '"always") on "edge-web".',
            _urn(prod, sidecar),
        )
        for sidecar in ("edge-app", "edge-monitor")
    ]


def test_prod_owner_whose_command_ends(pack: PackClient, prod: Recorded) -> None:
    broken, _ = _broken(prod, CONTAINER, "edge-web", _set("command", ["true"]))
    assert _new(pack, prod, broken) == [
        (
            "docker-container-require-running-join-target",
            "mandatory",
            f'container "{sidecar}": joins the network namespace of "edge-web", which has the '
            'command ["true"], which ends as soon as it starts; the engine refuses to start a '
            'container that joins a stopped one ("cannot join network of a non running '
            'container"); give "edge-web" a command that keeps running, and no start false.',
            _urn(prod, sidecar),
        )
        for sidecar in ("edge-app", "edge-monitor")
    ]
