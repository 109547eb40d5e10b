"""The benchmark's floor 1 programs register exactly the wire resources the components register
for the same synthetic topology: the same types and names, inputs, dependencies and property
dependencies, and no parent among them; only the component resources (and the stack's exports)
are the components' own. A floor that registered less would flatter the gate's ratio."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from plan import Plan, record_program
from tests.conftest import PROJECT_DIR
from tests.policies.hygiene_cases import HARDENING

BENCHMARKS = PROJECT_DIR / "benchmarks"
SERVICE = "docker:index/service:Service"
CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
SECRET = "docker:index/secret:Secret"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench", BENCHMARKS / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)
    spec.loader.exec_module(module)
    return module


bench = _bench()

Key = tuple[str, str]


def wire(plan: Plan) -> dict[Key, dict[str, Any]]:
    """Each provider resource by (type, name): its inputs, its dependencies and property
    dependencies by (type, name), and its nearest provider ancestor (None: only components and
    the stack above it)."""
    by_urn = plan.by_urn()

    def key(urn: str) -> Key:
        found = by_urn[urn]
        assert found.custom, f"{urn}: a dependency on a component, not expanded to its children"
        return (found.type, found.name)

    def custom_parent(urn: str) -> Key | None:
        parent = by_urn.get(by_urn[urn].parent)
        while parent is not None and not parent.custom:
            parent = by_urn.get(parent.parent)
        return (parent.type, parent.name) if parent is not None else None

    result: dict[Key, dict[str, Any]] = {}
    for r in plan.resources:
        if not r.custom:
            continue
        assert (r.type, r.name) not in result, f"{r.type} {r.name} registered twice"
        result[(r.type, r.name)] = {
            "inputs": r.inputs,
            "dependencies": sorted(key(u) for u in r.dependencies),
            "propertyDependencies": {
                prop: sorted(key(u) for u in urns) for prop, urns in r.property_dependencies.items()
            },
            "parent": custom_parent(r.urn),
            "provider": r.provider,
        }
    return result


def plans(tmp_path: Path, size: int, *, swarm: bool) -> tuple[Plan, Plan]:
    """(the components' plan, floor 1's plan) of one synthetic topology, each recorded as the
    benchmark records it."""
    project = bench.make_project(tmp_path, size, swarm=swarm)
    config = bench.load_config(project)
    components = record_program(
        project / "__main__.py", project=bench.PROJECT, stack=bench.STACK, config=config
    )
    raw = bench.record_floor(project, bench.RAW_SWARM_PROGRAM if swarm else bench.RAW_PROGRAM)
    return components, raw


def differences(components: Plan, raw: Plan) -> dict[str, tuple[Any, Any]]:
    """What floor 1 registers otherwise than the components: (the components' value, floor 1's)
    by resource and aspect; a resource only one side registers is (True, False) or the
    reverse."""
    ours, floor = wire(components), wire(raw)
    found: dict[str, tuple[Any, Any]] = {}
    for k in sorted(ours.keys() | floor.keys()):
        if k not in floor or k not in ours:
            found[f"{k[0]} {k[1]}"] = (k in ours, k in floor)
            continue
        for aspect, value in ours[k].items():
            if floor[k][aspect] != value:
                found[f"{k[0]} {k[1]} {aspect}"] = (value, floor[k][aspect])
    return found


@pytest.mark.parametrize(
    ("swarm", "size", "counts"),
    [
        pytest.param(
            True,
            60,
            {SERVICE: 60, NETWORK: 2, SECRET: 3, VOLUME: 6, CONTAINER: 12, IMAGE: 2},
            id="swarm",
        ),
        pytest.param(False, 60, {CONTAINER: 60, NETWORK: 2, IMAGE: 2}, id="engine"),
    ],
)
def test_floor_program_registers_what_the_components_register(
    tmp_path: Path, swarm: bool, size: int, counts: dict[str, int]
) -> None:
    components, raw = plans(tmp_path, size, swarm=swarm)
    assert Counter(r.type for r in raw.resources if r.custom) == counts
    assert differences(components, raw) == {}
    assert {r.parent for r in raw.resources if r.custom} == {raw.resources[0].urn}


def test_a_drifted_floor_is_told_apart(tmp_path: Path) -> None:
    """The comparison sees one changed input, one lost dependency and one missing resource."""
    components, raw = plans(tmp_path, 10, swarm=True)
    resources = []
    for r in raw.resources:
        kept = r
        if r.name == "app-s00000-db":
            kept = dataclasses.replace(r, inputs={**r.inputs, "mode": {"global": True}})
        elif r.name == "app-s00000-web":
            services = tuple(u for u in r.dependencies if u.endswith("::app-s00000-api0"))
            kept = dataclasses.replace(r, dependencies=services)
        if r.name != "s00000-edge-shell":
            resources.append(kept)
    found = differences(components, dataclasses.replace(raw, resources=resources))
    assert {k: v for k, v in found.items() if not k.endswith(" inputs")} == {
        f"{CONTAINER} s00000-edge-shell": (True, False),
        f"{SERVICE} app-s00000-web dependencies": (
            [(NETWORK, "ov0000-network"), (SERVICE, "app-s00000-api0")],
            [(SERVICE, "app-s00000-api0")],
        ),
    }
    ours, floor = found[f"{SERVICE} app-s00000-db inputs"]
    assert (ours["mode"], floor["mode"]) == ({"replicated": {"replicas": 1.0}}, {"global": True})
    assert len(found) == 3


def test_the_swarm_topology_passes_the_pack_with_no_finding(tmp_path: Path, pack: Any) -> None:
    """The synthetic swarm stack is one a user could deploy: the pack finds nothing in it but
    the hardening its containers leave out, said once for the stack by each hygiene rule."""
    components, _ = plans(tmp_path, 20, swarm=True)
    verdict = pack.check(components.resources)
    assert [(f.policy, f.level, f.urn) for f in verdict.findings] == [
        (policy, "advisory", "") for policy in HARDENING
    ]
